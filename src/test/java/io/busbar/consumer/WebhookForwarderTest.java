package io.busbar.consumer;

import io.busbar.BusbarNode;
import io.busbar.cluster.DeadLetters;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real nodes, both forwarding to a real HTTP receiver in this JVM. The receiver first fails, then
 * stalls, then recovers: every event must reach it exactly once (accepted with a 2xx) once it recovers,
 * even though both nodes get a copy of each published event. Endpoints that never recover, or refuse
 * an event outright, dead-letter it with the reason and the attempt count.
 */
class WebhookForwarderTest {
  private static final int EVENTS = 100;
  private static final int CONCURRENCY = 3;

  enum Mode { FAIL, STALL, OK }

  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static BusbarNode a;
  private static Vertx receiverVertx;
  private static WebClient http;
  private static volatile Mode mode = Mode.FAIL;
  private static final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
  private static final Queue<MultiMap> acceptedHeaders = new ConcurrentLinkedQueue<>();
  private static final Queue<JsonObject> acceptedBodies = new ConcurrentLinkedQueue<>();
  private static final AtomicInteger inFlight = new AtomicInteger();
  private static final AtomicInteger maxInFlight = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    receiverVertx = Vertx.vertx();
    HttpServer receiver = Wait.await(receiverVertx.createHttpServer().requestHandler(WebhookForwarderTest::receive).listen(0, "127.0.0.1"));
    String base = "http://127.0.0.1:" + receiver.actualPort();
    JsonArray endpoints = new JsonArray()
      .add(new JsonObject().put("name", "flaky").put("url", base + "/flaky").put("addresses", new JsonArray().add("events.hook"))
        .put("maxAttempts", 100).put("initialBackoffMs", 20).put("maxBackoffMs", 200).put("timeoutMs", 300)
        .put("maxConcurrency", CONCURRENCY))
      .add(new JsonObject().put("name", "broken").put("url", base + "/always500").put("addresses", new JsonArray().add("events.hookdead"))
        .put("maxAttempts", 3).put("initialBackoffMs", 10).put("maxBackoffMs", 50))
      .add(new JsonObject().put("name", "gone").put("url", base + "/gone").put("addresses", new JsonArray().add("events.hookgone"))
        .put("maxAttempts", 10).put("initialBackoffMs", 10).put("maxBackoffMs", 50));
    cluster = new TestCluster(2);
    a = cluster.start(0, dir, conf -> webhooks(conf, endpoints));
    cluster.start(1, dir, conf -> webhooks(conf, endpoints).put("roles", new JsonArray().add("consumer")));
    http = WebClient.create(receiverVertx);
  }

  private static JsonObject webhooks(JsonObject conf, JsonArray endpoints) {
    conf.getJsonObject("consumer").getJsonObject("webhook").put("enabled", true).put("endpoints", endpoints.copy());
    return conf;
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (receiverVertx != null) {
        Wait.await(receiverVertx.close());
      }
    }
  }

  private static void receive(HttpServerRequest request) {
    switch (request.path()) {
      case "/always500" -> request.response().setStatusCode(500).end();
      case "/gone" -> request.response().setStatusCode(404).end();
      default -> flaky(request);
    }
  }

  private static void flaky(HttpServerRequest request) {
    Mode current = mode;
    if (current == Mode.STALL) {
      // Never answered: the forwarder's timeout must give up on it and try again later. Not counted in
      // flight: the forwarder frees its slot on the timeout, before this side sees the connection close.
      return;
    }
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    request.body().onSuccess(body -> {
      if (current == Mode.FAIL) {
        request.response().setStatusCode(503).end();
      } else {
        accepted.computeIfAbsent(request.getHeader("ce-id"), id -> new AtomicInteger()).incrementAndGet();
        acceptedHeaders.add(request.headers());
        acceptedBodies.add(body.toJsonObject());
        request.response().setStatusCode(204).end();
      }
      inFlight.decrementAndGet();
    });
  }

  @Test
  void everyEventReachesARecoveredEndpointExactlyOnce() throws Exception {
    Queue<JsonObject> dead = deadLetters("events.hook");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      ids.add(publish("events.hook", new JsonObject().put("n", i)));
    }
    Thread.sleep(1_000);
    mode = Mode.STALL;
    Thread.sleep(1_000);
    mode = Mode.OK;

    Wait.until("all events accepted by the recovered endpoint", Duration.ofSeconds(60), () -> accepted.keySet().containsAll(ids));
    Thread.sleep(500);
    assertThat(accepted).hasSize(EVENTS);
    assertThat(accepted.values()).allSatisfy(count -> assertThat(count.get()).as("times accepted").isEqualTo(1));
    assertThat(dead).isEmpty();
    // Each of the two nodes keeps its own limit, so at most twice the per-endpoint limit overall.
    assertThat(maxInFlight.get()).isLessThanOrEqualTo(2 * CONCURRENCY);

    MultiMap headers = acceptedHeaders.peek();
    assertThat(headers.get("ce-specversion")).isEqualTo("1.0");
    assertThat(headers.get("ce-source")).isEqualTo("/busbar/http");
    assertThat(headers.get("ce-type")).isEqualTo("io.busbar.event");
    assertThat(headers.get("ce-busbaraddress")).isEqualTo("events.hook");
    assertThat(headers.get("content-type")).isEqualTo("application/json");
    assertThat(acceptedBodies).extracting(b -> b.getInteger("n"))
      .containsExactlyInAnyOrderElementsOf(IntStream.range(0, EVENTS).boxed().toList());
  }

  @Test
  void anEndpointThatNeverRecoversDeadLettersAfterTheLastAttempt() {
    Queue<JsonObject> dead = deadLetters("events.hookdead");
    String id = publish("events.hookdead", new JsonObject().put("order", 1));

    Wait.until("the dead letter", Duration.ofSeconds(30), () -> !dead.isEmpty());
    JsonObject letter = dead.peek();
    assertThat(letter.getString("id")).isEqualTo(id);
    assertThat(letter.getString("address")).isEqualTo("events.hookdead");
    assertThat(letter.getJsonObject("body")).isEqualTo(new JsonObject().put("order", 1));
    assertThat(letter.getInteger("attempts")).isEqualTo(3);
    assertThat(letter.getString("source")).isEqualTo("webhook");
    assertThat(letter.getString("reason")).contains("broken").contains("3 attempt(s)").contains("HTTP 500");
    assertThat(letter.getJsonObject("headers").getString("ce-id")).isEqualTo(id);
  }

  @Test
  void anEndpointThatRefusesTheEventDeadLettersAtOnce() {
    Queue<JsonObject> dead = deadLetters("events.hookgone");
    publish("events.hookgone", new JsonObject().put("order", 2));

    Wait.until("the dead letter", Duration.ofSeconds(30), () -> !dead.isEmpty());
    assertThat(dead.peek().getInteger("attempts")).isEqualTo(1);
    assertThat(dead.peek().getString("reason")).contains("refused").contains("HTTP 404");
  }

  private static Queue<JsonObject> deadLetters(String address) {
    Queue<JsonObject> letters = new ConcurrentLinkedQueue<>();
    MessageConsumer<JsonObject> consumer = a.vertx().eventBus().consumer(DeadLetters.ADDRESS_PREFIX + address, m -> letters.add(m.body()));
    Wait.await(consumer.completion());
    return letters;
  }

  private static String publish(String address, JsonObject body) {
    HttpResponse<Buffer> response = Wait.await(http.post(cluster.httpPort(0), "127.0.0.1", "/api/publish/" + address)
      .putHeader("content-type", "application/json").sendBuffer(body.toBuffer()));
    assertThat(response.statusCode()).isEqualTo(202);
    return response.bodyAsJsonObject().getString("id");
  }
}
