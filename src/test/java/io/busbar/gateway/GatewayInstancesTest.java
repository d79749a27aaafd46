package io.busbar.gateway;

import io.busbar.BusbarNode;
import io.busbar.NodeContext;
import io.busbar.observe.Observability;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.busbar.testing.BridgeClient.rec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node with {@code gateway.instances} 2: one HTTP server per event loop on the one port, Vert.x handing
 * each new connection to the next. Clients must not be able to tell: every connection is served, an
 * event reaches the sockets of both instances, and a SockJS session whose requests land on different
 * instances keeps working. (That the limits count node-wide is {@code LimitsAcrossGatewayInstancesTest}.)
 */
class GatewayInstancesTest {
  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static BusbarNode node;
  private static Vertx client;
  private static int port;
  private final List<BridgeClient> sockets = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(2);
    node = cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("consumer").add("gateway"));
      conf.getJsonObject("gateway").put("instances", 2);
    });
    port = cluster.httpPort(0);
    client = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  @AfterEach
  void closeSockets() {
    sockets.forEach(BridgeClient::close);
  }

  @Test
  void anEventReachesTheSocketsOfBothInstances() {
    String address = subscribeOnBothInstances("events.spread." + shortId());

    WebClient http = WebClient.create(client, new WebClientOptions().setKeepAlive(false));
    HttpResponse<Buffer> published = Wait.await(http.post(port, "127.0.0.1", "/api/publish/" + address)
      .putHeader("content-type", "application/json").sendBuffer(Buffer.buffer("{\"n\":1}")));
    assertThat(published.statusCode()).isEqualTo(202);
    for (BridgeClient socket : sockets) {
      JsonObject frame = socket.await("the event on every socket", rec(address));
      assertThat(frame.getJsonObject("body")).isEqualTo(new JsonObject().put("n", 1));
    }
  }

  @Test
  void oneSendersEventsReachEverySocketOfEitherInstanceInTheOrderSent() throws IOException {
    String address = subscribeOnBothInstances("events.ordered." + shortId());
    // One sender: one keep-alive connection, its requests pipelined, so they all reach one instance.
    assertThat(publishPipelined(address, 200)).as("the answers").containsOnly(202).hasSize(200);
    List<Integer> sent = IntStream.range(0, 200).boxed().toList();
    for (BridgeClient socket : sockets) {
      Wait.until("200 events on a socket", () -> socket.count(rec(address)) >= 200);
      List<Integer> seen = socket.frames.stream().filter(rec(address)).map(f -> f.getJsonObject("body").getInteger("seq")).toList();
      assertThat(seen).as("a socket's events").isEqualTo(sent);
    }
  }

  @Test
  void everyConnectionIsServed() {
    // A connection each: Vert.x alternates them between the instances.
    WebClient http = WebClient.create(client, new WebClientOptions().setKeepAlive(false));
    List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      answers.add(http.post(port, "127.0.0.1", "/api/publish/events.many").putHeader("content-type", "application/json")
        .sendBuffer(Buffer.buffer(String.valueOf(i))));
      answers.add(http.get(port, "127.0.0.1", "/health").send());
    }
    Wait.await(Future.join(answers));
    assertThat(answers).allSatisfy(a -> assertThat(a.result().statusCode()).isIn(200, 202));
  }

  @Test
  void anXhrSessionWorksWhicheverInstanceEachRequestReaches() {
    String session = "/eventbus/000/" + shortId();
    // No keep-alive: each request on a new connection, so the session's requests alternate between instances.
    WebClient http = WebClient.create(client, new WebClientOptions().setKeepAlive(false));
    HttpResponse<Buffer> open = Wait.await(http.post(port, "127.0.0.1", session + "/xhr").send());
    assertThat(open.bodyAsString().trim()).isEqualTo("o");

    List<JsonObject> frames = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String message = new JsonObject().put("type", "send").put("address", "svc.echo")
        .put("body", new JsonObject().put("i", i)).put("replyAddress", "r" + i).encode();
      HttpResponse<Buffer> sent = Wait.await(http.post(port, "127.0.0.1", session + "/xhr_send")
        .putHeader("content-type", "text/plain;charset=UTF-8").sendBuffer(Buffer.buffer(new JsonArray().add(message).encode())));
      assertThat(sent.statusCode()).as(sent.bodyAsString()).isEqualTo(204);
    }
    Wait.until("the four echo replies over xhr", () -> {
      String text = Wait.await(http.post(port, "127.0.0.1", session + "/xhr").send()).bodyAsString().trim();
      if (text.startsWith("a")) {
        new JsonArray(text.substring(1)).forEach(f -> frames.add(new JsonObject((String) f)));
      }
      return frames.stream().filter(f -> "rec".equals(f.getString("type"))).count() == 4;
    });
    assertThat(frames.stream().filter(f -> "rec".equals(f.getString("type"))).map(f -> f.getString("address")).collect(Collectors.toSet()))
      .isEqualTo(Set.of("r0", "r1", "r2", "r3"));
  }

  @Test
  void portZeroIsOneFreePortForEveryInstance() throws Exception {
    BusbarNode anyPort = cluster.start(1, dir, conf -> {
      conf.put("roles", new JsonArray().add("gateway"));
      conf.getJsonObject("gateway").put("port", 0).put("instances", 3);
    });
    // Vert.x's own record of what it bound: with port 0 taken literally, each instance would have a port of its own.
    Set<Integer> bound = ((VertxInternal) anyPort.vertx()).sharedTcpServers().values().stream()
      .map(server -> server.actualPort()).collect(Collectors.toSet());
    assertThat(bound).hasSize(1);
    int actual = bound.iterator().next();
    assertThat(actual).isPositive();
    // What the node's "ready" log line reports as its HTTP address.
    assertThat(NodeContext.of(anyPort.vertx()).httpPort()).isEqualTo(actual);
    WebClient http = WebClient.create(client, new WebClientOptions().setKeepAlive(false));
    for (int i = 0; i < 6; i++) {
      assertThat(Wait.await(http.get(actual, "127.0.0.1", "/health").send()).statusCode()).isEqualTo(200);
    }
  }

  /**
   * Publishes {@code {"seq": i}} for i from 0 to {@code count} - 1 on one connection, the requests written
   * in that order in one go (pipelined), and returns the status of each answer. Written here rather than
   * through a Vert.x client: the WebClient, called from a thread outside Vert.x, gives each request a
   * context of its own, on any event loop, and so may put them on the connection in another order: with
   * the CPU busy, the node received 16 before 1 (and the sockets saw that order), which is not what the
   * test's one sender does.
   */
  private static List<Integer> publishPipelined(String address, int count) throws IOException {
    StringBuilder requests = new StringBuilder();
    for (int i = 0; i < count; i++) {
      String body = "{\"seq\":" + i + "}";
      requests.append("POST /api/publish/").append(address).append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port)
        .append("\r\nContent-Type: application/json\r\nContent-Length: ").append(body.length()).append("\r\n\r\n").append(body);
    }
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) Wait.DEFAULT.toMillis());
      socket.getOutputStream().write(requests.toString().getBytes(StandardCharsets.US_ASCII));
      InputStream in = new BufferedInputStream(socket.getInputStream());
      List<Integer> statuses = new ArrayList<>();
      while (statuses.size() < count) {
        String status = line(in);
        int length = 0;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
          if (header.regionMatches(true, 0, "content-length:", 0, 15)) {
            length = Integer.parseInt(header.substring(15).trim());
          }
        }
        in.readNBytes(length);
        statuses.add(Integer.parseInt(status.split(" ")[1]));
      }
      return statuses;
    }
  }

  /** One line of an HTTP head, without its CRLF; fails if the connection closes first. */
  private static String line(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException("the connection closed after: " + line);
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  /** Four sockets subscribed to {@code address}, and waits until they are spread over both instances. */
  private String subscribeOnBothInstances(String address) {
    for (int i = 0; i < 4; i++) {
      BridgeClient socket = BridgeClient.connect(port, null);
      sockets.add(socket);
      socket.send(new JsonObject().put("type", "register").put("address", address));
    }
    // Each instance's fan-out holds one bus consumer per address, whatever its number of sockets: two
    // consumers for four sockets means the connections were shared out between the two instances.
    Wait.until("both instances subscribed to " + address, () -> handlers(address) == 2);
    return address;
  }

  /** The node's {@code vertx_eventbus_handlers} for {@code address}, from its own Prometheus scrape. */
  private static int handlers(String address) {
    Matcher m = Pattern.compile("(?m)^vertx_eventbus_handlers\\{address=\"" + Pattern.quote(address) + "\",?[^}]*} ([0-9.]+)$")
      .matcher(Observability.of(node.vertx()).scrape());
    return m.find() ? (int) Double.parseDouble(m.group(1)) : 0;
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
