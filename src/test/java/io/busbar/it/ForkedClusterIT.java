package io.busbar.it;

import io.busbar.testing.BridgeClient;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.Ports;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three real JVMs from the fat jar, each with other roles, on one loopback cluster: two gateways (A, B)
 * and a consumer (C). What enters over HTTP on one gateway must reach the consumer on another JVM and a
 * SockJS client on the other gateway, and a request through a gateway must be answered by the consumer.
 * B runs two gateway instances ({@code --gateway-instances 2}), as an operator would on a bigger machine,
 * and its SIGTERM must close the SockJS sockets of both.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class ForkedClusterIT {
  private static final Duration START = Duration.ofSeconds(60);
  /** Registrations take a moment to reach the other members: retry for at most this long. */
  private static final Duration PROPAGATION = Duration.ofSeconds(20);
  private static final Pattern READY = Pattern.compile("Busbar node (\\S+) ready");

  private final List<ForkedNode> nodes = new ArrayList<>();

  @TempDir
  Path work;

  @AfterEach
  void stopNodes() {
    ForkedNode.closeAll(nodes);
  }

  @Test
  void eventsAndRequestsCrossJvmsWithDifferentRoles() throws Exception {
    String cluster = Ports.clusterName();
    int base = Ports.freeRange(3);
    String members = "127.0.0.1:" + base + ",127.0.0.1:" + (base + 1) + ",127.0.0.1:" + (base + 2);
    int httpA = Ports.free();
    int httpB = Ports.free();
    start("cluster-a", cluster, base, httpA, members, "gateway");
    ForkedNode b = start("cluster-b", cluster, base + 1, httpB, members, "gateway", "--gateway-instances", "2");
    assertThat(b.output()).contains("ready: roles [\"gateway\"], HTTP on http://127.0.0.1:" + httpB);
    assertThat(b.output().split("gateway listening on 127.0.0.1:" + httpB + " \\(one of gateway.instances 2\\)", -1))
      .as("one 'listening' line per instance in " + b.log).hasSize(3);
    ForkedNode c = start("cluster-c", cluster, base + 2, Ports.free(), members, "consumer");
    String nodeIdC = nodeId(c);
    // C keeps the default consumer.eventLog.file, relative to its own working directory.
    Path eventLogC = work.resolve("cluster-c").resolve("data").resolve("events.ndjson");

    try (BridgeClient socket = BridgeClient.connect(httpB, null)) {
      socket.send(new JsonObject().put("type", "register").put("address", "events.orders"));

      // Publish on A until the subscriber on B gets one: each attempt is a new event with its own marker.
      Map<String, String> idByMarker = new HashMap<>();
      JsonObject received = null;
      long deadline = System.nanoTime() + PROPAGATION.toNanos();
      while (received == null && System.nanoTime() < deadline) {
        String marker = UUID.randomUUID().toString();
        HttpResponse<String> published = ForkedNode.postJson(httpA, "/api/publish/events.orders",
          new JsonObject().put("order", marker).encode());
        assertThat(published.statusCode()).as(published.body()).isEqualTo(202);
        idByMarker.put(marker, new JsonObject(published.body()).getString("id"));
        socket.send(new JsonObject().put("type", "ping"));
        received = socket.take(frame -> "rec".equals(frame.getString("type")) && "events.orders".equals(frame.getString("address"))
          && frame.getValue("body") instanceof JsonObject body && idByMarker.containsKey(body.getString("order")), Duration.ofSeconds(1));
      }
      assertThat(received).as("an event published on A reaches a SockJS client on B within " + PROPAGATION).isNotNull();
      String marker = received.getJsonObject("body").getString("order");
      String id = idByMarker.get(marker);
      assertThat(received.getJsonObject("headers").getString("ce-id")).isEqualTo(id);

      JsonObject logged = awaitLogLine(eventLogC, id, PROPAGATION);
      assertThat(logged).as("C's event log " + eventLogC + " has event " + id).isNotNull();
      assertThat(logged.getString("address")).isEqualTo("events.orders");
      assertThat(logged.getJsonObject("body")).isEqualTo(new JsonObject().put("order", marker));

      // Request-reply through A: only C has the consumer role, so only C can answer.
      JsonObject question = new JsonObject().put("question", UUID.randomUUID().toString());
      HttpResponse<String> answer = requestUntilHandled(httpA, question);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(new JsonObject(answer.body())).isEqualTo(question);

      // The same through B's bridge, whose reply carries the answering node's id.
      // The bridge accepts a reply address of at most 36 characters: a bare UUID, as the official client uses.
      String replyAddress = UUID.randomUUID().toString();
      socket.send(new JsonObject().put("type", "send").put("address", "svc.echo").put("body", question)
        .put("replyAddress", replyAddress));
      JsonObject reply = socket.take(frame -> replyAddress.equals(frame.getString("address")), Duration.ofSeconds(10));
      assertThat(reply).as("svc.echo reply over B's bridge").isNotNull();
      assertThat(reply.getJsonObject("body")).isEqualTo(question);
      assertThat(reply.getJsonObject("headers").getString("busbar-node")).isEqualTo(nodeIdC);
    }

    // SIGTERM of B drains both of its instances: two new connections land on one each, and both are
    // closed with 1012 (service restart: reconnect elsewhere) before B exits.
    try (BridgeClient first = BridgeClient.connect(httpB, null); BridgeClient second = BridgeClient.connect(httpB, null)) {
      for (BridgeClient socket : List.of(first, second)) {
        socket.send(new JsonObject().put("type", "ping"));
      }
      assertThat(b.stop(Duration.ofSeconds(40))).as("B's exit code after SIGTERM").isZero();
      for (BridgeClient socket : List.of(first, second)) {
        socket.awaitClosed("closed by B's drain", Duration.ofSeconds(10));
        assertThat(socket.closeCode).isEqualTo((short) 1012);
      }
    }
  }

  private ForkedNode start(String name, String cluster, int clusterPort, int httpPort, String members, String roles,
                           String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--roles", roles));
    all.addAll(List.of(args));
    ForkedNode node = ForkedNode.start(name, work.resolve(name), ForkedNode.clusterEnv(cluster, clusterPort, httpPort, members),
      all.toArray(String[]::new));
    nodes.add(node);
    return node.awaitReady(START);
  }

  private static String nodeId(ForkedNode node) {
    Matcher m = READY.matcher(node.output());
    assertThat(m.find()).as("ready line in " + node.log).isTrue();
    return m.group(1);
  }

  /** The NDJSON line of event {@code id}, once the file has it; null after {@code timeout}. */
  private static JsonObject awaitLogLine(Path file, String id, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file)) {
          // A line being written may be incomplete: only whole lines parse and carry the id.
          if (line.contains(id) && line.endsWith("}")) {
            return new JsonObject(line);
          }
        }
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return null;
  }

  /** POST /api/request/svc.echo, again while the echo service is not yet known on this gateway (503). */
  private static HttpResponse<String> requestUntilHandled(int httpPort, JsonObject body) throws Exception {
    long deadline = System.nanoTime() + PROPAGATION.toNanos();
    HttpResponse<String> response;
    do {
      response = ForkedNode.postJson(httpPort, "/api/request/svc.echo?timeout=5000", body.encode());
      if (response.statusCode() != 503) {
        return response;
      }
      Thread.sleep(300);
    } while (System.nanoTime() < deadline);
    return response;
  }
}
