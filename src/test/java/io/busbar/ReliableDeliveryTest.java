package io.busbar;

import io.busbar.testing.RecordingConsumerVerticle;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acknowledged delivery across three real in-JVM nodes: A is only a gateway, B and C are consumers, so
 * every delivery crosses the cluster; reliable consumers run on B and C.
 */
class ReliableDeliveryTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static BusbarNode b;
  private static BusbarNode c;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = new TestCluster(3);
    cluster.start(0, dir, conf -> conf.put("roles", new JsonArray().add("gateway"))
      .getJsonObject("reliability").put("maxRejections", 2));
    b = cluster.start(1, dir, conf -> conf.put("roles", new JsonArray().add("consumer")));
    // C takes at most 2 events at a time, to show backpressure.
    c = cluster.start(2, dir, conf -> conf.put("roles", new JsonArray().add("consumer"))
      .getJsonObject("reliability").getJsonObject("consumer").put("maxInFlight", 2));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void deliveredEventIsLoggedOnceEvenWhenRetriedWithTheSameId() throws Exception {
    String id = "order-" + UUID.randomUUID();
    HttpResponse<String> first = untilNot503(() -> deliver("events.orders", id, "{\"n\":1}", ""));
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    assertThat(new JsonObject(first.body()).getString("id")).isEqualTo(id);
    assertThat(new JsonObject(first.body()).getInteger("attempts")).isGreaterThanOrEqualTo(1);

    for (int i = 0; i < 5; i++) {
      HttpResponse<String> again = deliver("events.orders", id, "{\"n\":1}", "");
      assertThat(again.statusCode()).as(again.body()).isEqualTo(200);
    }
    // B and C both log events.orders; the delivery must be in exactly one line of the two files.
    assertThat(linesWithId(id)).hasSize(1);
  }

  @Test
  void manyDeliveriesToTwoConsumersAreEachHandledOnce() throws Exception {
    String address = "events.rel." + shortId();
    deployRecorder(b, address, "many-b");
    deployRecorder(c, address, "many-c");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String id = "m-" + i + "-" + shortId();
      ids.add(id);
      HttpResponse<String> r = untilNot503(() -> deliver(address, id, "{}", ""));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(deliver(address, id, "{}", "").statusCode()).isEqualTo(200);
    }
    List<String> handled = new ArrayList<>(RecordingConsumerVerticle.handled("many-b"));
    handled.addAll(RecordingConsumerVerticle.handled("many-c"));
    assertThat(handled).containsExactlyInAnyOrderElementsOf(ids);
  }

  @Test
  void noConsumerIs503Quickly() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> r = deliver("events.nobody." + shortId(), "x-" + shortId(), "{}", "?timeout=20000");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("no_handlers");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
  }

  @Test
  void slowConsumerPastTheDeadlineIs504() throws Exception {
    String address = "events.slow." + shortId();
    deployRecorder(b, address, "slow", 3000);
    HttpResponse<String> r = untilNot503(() -> deliver(address, "s-" + shortId(), "{}", "?timeout=500"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("timeout");
  }

  @Test
  void rejectedEventIsDeadLetteredListedAndRedriven() throws Exception {
    String address = "events.failing." + shortId();
    RecordingConsumerVerticle.failing("dlq").set(true);
    deployRecorder(b, address, "dlq");
    String id = "d-" + shortId();

    HttpResponse<String> r = untilNot503(() -> deliver(address, id, "{\"v\":42}", ""));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("dead_lettered");
    assertThat(new JsonObject(r.body()).getInteger("attempts")).isEqualTo(2);

    JsonObject listed = new JsonObject(get("/api/dlq/" + address).body());
    assertThat(listed.getInteger("count")).isEqualTo(1);
    JsonObject letter = listed.getJsonArray("deadLetters").getJsonObject(0);
    assertThat(letter.getString("id")).isEqualTo(id);
    assertThat(letter.getString("address")).isEqualTo(address);
    assertThat(letter.getString("reason")).isEqualTo("refused by the test");
    assertThat(letter.getInteger("attempts")).isEqualTo(2);
    assertThat(letter.getString("source")).isEqualTo("deliver");
    assertThat(letter.getJsonObject("body")).isEqualTo(new JsonObject().put("v", 42));
    assertThat(letter.getString("failedAt")).isNotBlank();

    RecordingConsumerVerticle.failing("dlq").set(false);
    HttpResponse<String> redriven = post("/api/dlq/" + address + "/redrive", "{}");
    assertThat(redriven.statusCode()).as(redriven.body()).isEqualTo(200);
    assertThat(new JsonObject(redriven.body()).getInteger("redriven")).isEqualTo(1);
    assertThat(RecordingConsumerVerticle.handled("dlq")).containsExactly(id);
    assertThat(new JsonObject(get("/api/dlq/" + address).body()).getInteger("count")).isZero();
  }

  @Test
  void aConsumerThatCannotKeepUpIsAnswered429WithRetryAfter() throws Exception {
    String address = "events.busy." + shortId();
    deployRecorder(c, address, "busy", 3000);
    untilNot503(() -> deliver(address, "warm-" + shortId(), "{}", "?timeout=20000"));
    List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      calls.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort(0) + "/api/deliver/" + address + "?timeout=20000"))
        .timeout(Duration.ofSeconds(30)).header("content-type", "application/json").header("ce-id", "busy-" + i + "-" + shortId())
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> answers = new ArrayList<>();
    for (var call : calls) {
      answers.add(call.get());
    }
    List<HttpResponse<String>> busy = answers.stream().filter(r -> r.statusCode() == 429).toList();
    assertThat(busy).as("some deliveries refused while the consumer is full").isNotEmpty();
    assertThat(new JsonObject(busy.get(0).body()).getString("error")).isEqualTo("consumer_busy");
    assertThat(busy.get(0).headers().firstValue("retry-after")).hasValue("1");
    assertThat(answers).allSatisfy(r -> assertThat(r.statusCode()).isIn(200, 429));
  }

  @Test
  void deliverChecksPermissionsAndTimeout() throws Exception {
    HttpResponse<String> denied = deliver("secret.stuff", "p-1", "{}", "");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(new JsonObject(denied.body()).getString("error")).isEqualTo("address_not_permitted");
    assertThat(get("/api/dlq/secret.stuff").statusCode()).isEqualTo(403);
    HttpResponse<String> bad = deliver("events.orders", "p-2", "{}", "?timeout=0");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(bad.body()).getString("error")).isEqualTo("invalid_timeout");
  }

  // --- helpers

  private static void deployRecorder(BusbarNode node, String address, String name) {
    deployRecorder(node, address, name, 0);
  }

  private static void deployRecorder(BusbarNode node, String address, String name, long delayMs) {
    Wait.await(node.vertx().deployVerticle(new RecordingConsumerVerticle(), new DeploymentOptions()
      .setConfig(new JsonObject().put("address", address).put("name", name).put("delayMs", delayMs))));
  }

  private interface Call {
    HttpResponse<String> run() throws Exception;
  }

  /** A registration reaches the gateway's routing a moment after it completes: retry a 503 briefly. */
  private static HttpResponse<String> untilNot503(Call call) throws Exception {
    long deadline = System.nanoTime() + Wait.DEFAULT.toNanos();
    HttpResponse<String> r;
    do {
      r = call.run();
      if (r.statusCode() != 503) {
        return r;
      }
      Thread.sleep(200);
    } while (System.nanoTime() < deadline);
    return r;
  }

  private static HttpResponse<String> deliver(String address, String id, String body, String query) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort(0) + "/api/deliver/" + address + query))
      .timeout(Duration.ofSeconds(30)).header("content-type", "application/json").header("ce-id", id)
      .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort(0) + path))
      .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort(0) + path))
      .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<String> linesWithId(String id) throws Exception {
    List<String> found = new ArrayList<>();
    for (int index : new int[] {1, 2}) {
      Path file = dir.resolve("events-" + index + ".ndjson");
      if (Files.exists(file)) {
        Files.readAllLines(file).stream().filter(l -> l.contains("\"" + id + "\"") && l.contains("\"id\"")
          && id.equals(new JsonObject(l).getString("id"))).forEach(found::add);
      }
    }
    return found;
  }

  private static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
