package io.busbar;

import io.busbar.cluster.QuietAddressCache;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three real nodes in this JVM: A is only a gateway, B and C are only consumers (echo and event log).
 * Everything an HTTP client does on A must therefore cross the cluster to be answered.
 */
class ClusterHttpTest {
  private static final int BODY_LIMIT = 1024;

  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static BusbarNode a;
  private static BusbarNode b;
  private static BusbarNode c;
  private static Vertx client;
  private static WebClient http;

  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new TestCluster(3);
    a = cluster.start(0, dir, conf -> conf.put("roles", new JsonArray().add("gateway"))
      .getJsonObject("gateway").put("bodyLimit", BODY_LIMIT));
    b = cluster.start(1, dir, conf -> conf.put("roles", new JsonArray().add("consumer")));
    c = cluster.start(2, dir, conf -> conf.put("roles", new JsonArray().add("consumer")));
    client = Vertx.vertx();
    http = WebClient.create(client);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    TestCluster.close(client, cluster);
  }

  @AfterEach
  void unregister() {
    consumers.forEach(consumer -> Wait.await(consumer.unregister()));
  }

  @Test
  void publishOnOneNodeReachesConsumersOnEveryOtherNode() {
    String address = "events.fanout." + shortId();
    Queue<Message<Object>> onB = consume(b, address);
    Queue<Message<Object>> onC = consume(c, address);
    untilDelivered(() -> !onB.isEmpty() && !onC.isEmpty(), () -> publish(address, "{\"warmup\":true}"));
    onB.clear();
    onC.clear();

    String id = publish(address, "{\"orderId\":7}");

    Wait.until("the event on B and C", () -> hasId(onB, id) && hasId(onC, id));
    for (Queue<Message<Object>> received : List.of(onB, onC)) {
      Message<Object> m = received.stream().filter(msg -> id.equals(msg.headers().get("ce-id"))).findFirst().orElseThrow();
      assertThat(m.body()).isEqualTo(new JsonObject().put("orderId", 7));
      assertThat(m.headers().get("ce-source")).isEqualTo("/busbar/http");
      assertThat(m.headers().get("ce-type")).isEqualTo("io.busbar.event");
      assertThat(m.headers().get("ce-specversion")).isEqualTo("1.0");
      assertThat(m.headers().get("content-type")).isEqualTo("application/json");
      assertThat(m.headers().get("ce-time")).isNotBlank();
    }
  }

  @Test
  void publishToAnAddressKnownQuietReachesASubscriberThatComesLater() {
    String address = "events.late." + shortId();
    publish(address, "{\"heard\":false}");
    Wait.until("A to know the address has no subscriber", () -> QuietAddressCache.knownQuiet(a.vertx()).test(address));
    // Taken local-only now, since nobody in the cluster listens: a subscriber on B must still be found.
    publish(address, "{\"heard\":false}");
    Queue<Message<Object>> onB = consume(b, address);
    untilDelivered(() -> !onB.isEmpty(), () -> publish(address, "{\"heard\":true}"));
    assertThat(onB).allSatisfy(m -> assertThat(m.body()).isEqualTo(new JsonObject().put("heard", true)));
  }

  @Test
  void cloudEventAttributesArriveAsHeaders() {
    String address = "events.ce." + shortId();
    Queue<Message<Object>> onB = consume(b, address);
    untilDelivered(() -> !onB.isEmpty(), () -> publish(address, "{}"));

    HttpResponse<Buffer> response = Wait.await(http.post(cluster.httpPort(0), "127.0.0.1", "/api/publish/" + address)
      .putHeader("content-type", "application/json")
      .putHeader("ce-specversion", "1.0").putHeader("ce-id", "order-7-created").putHeader("ce-source", "/shop")
      .putHeader("ce-type", "com.example.order.created").putHeader("ce-tenant", "acme")
      .sendBuffer(Buffer.buffer("{\"orderId\":7}")));

    assertThat(response.statusCode()).isEqualTo(202);
    assertThat(response.bodyAsJsonObject().getString("id")).isEqualTo("order-7-created");
    Wait.until("the CloudEvent on B", () -> hasId(onB, "order-7-created"));
    MultiMap headers = onB.stream().filter(m -> "order-7-created".equals(m.headers().get("ce-id"))).findFirst().orElseThrow().headers();
    assertThat(headers.get("ce-source")).isEqualTo("/shop");
    assertThat(headers.get("ce-type")).isEqualTo("com.example.order.created");
    assertThat(headers.get("ce-tenant")).isEqualTo("acme");
  }

  @Test
  void sendReachesExactlyOneConsumerRoundRobinAcrossNodes() {
    String address = "events.work." + shortId();
    Queue<Message<Object>> onB = consume(b, address);
    Queue<Message<Object>> onC = consume(c, address);
    untilDelivered(() -> !onB.isEmpty() && !onC.isEmpty(), () -> send(address, "{\"warmup\":true}"));
    onB.clear();
    onC.clear();

    Set<String> sent = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      sent.add(send(address, "{\"n\":" + i + "}"));
    }

    Wait.until("20 sends delivered", () -> onB.size() + onC.size() >= 20);
    List<String> delivered = new ArrayList<>();
    onB.forEach(m -> delivered.add(m.headers().get("ce-id")));
    onC.forEach(m -> delivered.add(m.headers().get("ce-id")));
    assertThat(delivered).hasSize(20).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(sent);
    assertThat(onB).isNotEmpty();
    assertThat(onC).isNotEmpty();
  }

  @Test
  void requestOnAGatewayWithoutConsumersIsAnsweredByAnotherNode() {
    HttpResponse<Buffer> response = post("/api/request/svc.echo", "application/json", "{\"hello\":\"world\"}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("content-type")).isEqualTo("application/json");
    assertThat(response.bodyAsJsonObject()).isEqualTo(new JsonObject().put("hello", "world"));
    assertThat(response.getHeader("ce-id")).isNotBlank();
    assertThat(response.getHeader(Addresses.HEADER_NODE)).isIn(b.nodeId(), c.nodeId());

    // Node A has no echo service: the reply says which node answered.
    Message<Object> reply = Wait.await(a.vertx().eventBus().request(Addresses.ECHO, new JsonObject().put("x", 1),
      new DeliveryOptions().setSendTimeout(5000)));
    assertThat(reply.headers().get(Addresses.HEADER_NODE)).isIn(b.nodeId(), c.nodeId());
  }

  @Test
  void requestWithoutConsumersIs503() {
    HttpResponse<Buffer> response = post("/api/request/events.nobody." + shortId(), "application/json", "{}");

    assertError(response, 503, "no_handlers");
    assertThat(response.bodyAsJsonObject().getString("message")).doesNotContain("No handlers");
  }

  @Test
  void requestNotAnsweredInTimeIs504() {
    HttpResponse<Buffer> response = post("/api/request/svc.echo?timeout=200", "application/json", "{\"delayMs\":2000}");

    assertError(response, 504, "timeout");
    // Vert.x's own text names the internal reply address; it must not leak.
    assertThat(response.bodyAsJsonObject().getString("message")).doesNotContain("__vertx").doesNotContain("Timed out");
  }

  @Test
  void recipientFailureKeepsItsHttpCodeAcrossTheNetwork() {
    HttpResponse<Buffer> conflict = post("/api/request/svc.echo", "application/json", "{\"fail\":409,\"message\":\"order exists\"}");
    HttpResponse<Buffer> odd = post("/api/request/svc.echo", "application/json", "{\"fail\":42}");

    assertError(conflict, 409, "recipient_failure");
    assertThat(conflict.bodyAsJsonObject().getString("message")).isEqualTo("order exists");
    assertError(odd, 502, "recipient_failure");
  }

  @Test
  void badTimeoutIs400() {
    assertError(post("/api/request/svc.echo?timeout=abc", "application/json", "{}"), 400, "invalid_timeout");
    assertError(post("/api/request/svc.echo?timeout=0", "application/json", "{}"), 400, "invalid_timeout");
  }

  @Test
  void addressNotPermittedIs403() {
    assertError(post("/api/publish/secret.stuff", "application/json", "{}"), 403, "address_not_permitted");
    assertError(post("/api/send/svc.other", "application/json", "{}"), 403, "address_not_permitted");
    assertError(post("/api/request/busbar.nodes", "application/json", "{}"), 403, "address_not_permitted");
    assertError(post("/api/publish/__vertx.reply.1", "application/json", "{}"), 403, "address_not_permitted");
  }

  @Test
  void unknownPathIs404() {
    assertError(request(HttpMethod.GET, "/nope", null, null), 404, "not_found");
    assertError(post("/api/broadcast/events.orders", "application/json", "{}"), 404, "not_found");
  }

  @Test
  void wrongMethodIs405() {
    assertError(request(HttpMethod.GET, "/api/publish/events.orders", null, null), 405, "method_not_allowed");
    assertError(request(HttpMethod.PUT, "/api/send/events.orders", "application/json", "{}"), 405, "method_not_allowed");
  }

  @Test
  void bodyOverTheLimitIs413() {
    String big = "{\"pad\":\"" + "x".repeat(BODY_LIMIT * 2) + "\"}";

    assertError(post("/api/publish/events.big", "application/json", big), 413, "body_too_large");
  }

  @Test
  void nonJsonContentTypeIs415() {
    assertError(post("/api/publish/events.orders", "text/plain", "hello"), 415, "unsupported_media_type");
    assertError(request(HttpMethod.POST, "/api/publish/events.orders", null, "{}"), 415, "unsupported_media_type");
  }

  @Test
  void invalidJsonIs400() {
    assertError(post("/api/publish/events.orders", "application/json", "{\"a\":"), 400, "invalid_json");
  }

  @Test
  void readyWhenClusteredAndListening() {
    HttpResponse<Buffer> response = request(HttpMethod.GET, "/ready", null, null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getString("status")).isEqualTo("UP");
    assertThat(response.bodyAsJsonObject().getString("nodeId")).isEqualTo(a.nodeId());
  }

  @Test
  void publishToEventsOrdersIsLoggedOnceByEachEventLog() {
    String id = publish("events.orders", "{\"orderId\":99}");

    // B and C each log the event (published events reach every subscriber) in their own file.
    for (int index : new int[] {1, 2}) {
      Path file = dir.resolve("events-" + index + ".ndjson");
      Wait.until("event " + id + " in " + file, () -> linesWithId(file, id).size() >= 1);
      List<JsonObject> lines = linesWithId(file, id);
      assertThat(lines).hasSize(1);
      JsonObject line = lines.get(0);
      assertThat(line.getString("address")).isEqualTo("events.orders");
      assertThat(line.getJsonObject("body")).isEqualTo(new JsonObject().put("orderId", 99));
      assertThat(line.getJsonObject("headers").getString("ce-id")).isEqualTo(id);
      assertThat(line.getString("time")).isNotBlank();
    }
  }

  // --- helpers

  private Queue<Message<Object>> consume(BusbarNode node, String address) {
    Queue<Message<Object>> received = new ConcurrentLinkedQueue<>();
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, received::add);
    consumers.add(consumer);
    Wait.await(consumer.completion());
    return received;
  }

  /**
   * A registration made on one node reaches the others' routing a moment after it completes; until
   * then a publish is silently dropped. So repeat {@code deliver} until it got through, bounded.
   */
  private static void untilDelivered(BooleanSupplier delivered, Runnable deliver) {
    long deadline = System.nanoTime() + Wait.DEFAULT.toNanos();
    while (System.nanoTime() < deadline) {
      deliver.run();
      if (Wait.within(Duration.ofMillis(500), delivered)) {
        return;
      }
    }
    throw new AssertionError("not delivered within " + Wait.DEFAULT);
  }

  private static String publish(String address, String json) {
    return accepted(post("/api/publish/" + address, "application/json", json));
  }

  private static String send(String address, String json) {
    return accepted(post("/api/send/" + address, "application/json", json));
  }

  private static String accepted(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(202);
    String id = response.bodyAsJsonObject().getString("id");
    assertThat(id).isNotBlank();
    return id;
  }

  private static HttpResponse<Buffer> post(String path, String contentType, String body) {
    return request(HttpMethod.POST, path, contentType, body);
  }

  private static HttpResponse<Buffer> request(HttpMethod method, String path, String contentType, String body) {
    HttpRequest<Buffer> request = http.request(method, cluster.httpPort(0), "127.0.0.1", path);
    if (contentType != null) {
      request.putHeader("content-type", contentType);
    }
    return Wait.await(body == null ? request.send() : request.sendBuffer(Buffer.buffer(body)));
  }

  private static void assertError(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("content-type")).isEqualTo("application/json");
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message");
    assertThat(body.getString("error")).isEqualTo(code);
    assertThat(body.getString("message")).isNotBlank().doesNotContain("Exception");
  }

  private static boolean hasId(Queue<Message<Object>> received, String id) {
    return received.stream().anyMatch(m -> id.equals(m.headers().get("ce-id")));
  }

  private static List<JsonObject> linesWithId(Path file, String id) {
    if (!Files.exists(file)) {
      return List.of();
    }
    try {
      return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(JsonObject::new)
        .filter(l -> id.equals(l.getString("id"))).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
