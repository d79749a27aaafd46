package io.busbar.gateway;

import io.busbar.BusbarNode;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain publish or send is served by {@link DirectApiEndpoint}, and the same request in another shape
 * (a chunked body, a percent-encoded address) by the Router. Both must answer and deliver alike: same
 * status, headers and body, the same event on the bus, the same errors.
 */
class DirectApiEndpointTest {
  private static final int BODY_LIMIT = 512;

  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static BusbarNode node;
  private static Vertx client;
  private static HttpClient http;
  private static Context loop;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(1);
    node = cluster.start(0, dir, conf -> conf.put("roles", new JsonArray().add("gateway"))
      .getJsonObject("gateway").put("bodyLimit", BODY_LIMIT));
    client = Vertx.vertx();
    http = client.createHttpClient();
    loop = client.getOrCreateContext();
  }

  @AfterAll
  static void stop() throws Exception {
    Wait.await(http.close());
    TestCluster.close(client, cluster);
  }

  /** One answer as the test compares it. */
  private record Answer(int status, MultiMap headers, String body) {
  }

  private static Answer post(String uri, String contentType, String body, boolean chunked) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(cluster.httpPort(0))
      .setURI(uri).setTimeout(10_000).putHeader("content-type", contentType).putHeader("x-request-id", "req-1")
      .putHeader("busbar-auth-sub", "forged");
    // On the client's event loop: chained from the test thread, body() could be called on a thread other
    // than the one ending the response, and the answer was occasionally never completed (1 run in 8).
    return Wait.await(Wait.on(loop, () -> http.request(options).compose(request -> {
      request.setChunked(chunked);
      return request.send(Buffer.buffer(body));
    }).compose(response -> response.body().map(b -> answer(response, b)))).compose(answer -> answer));
  }

  private static Answer answer(HttpClientResponse response, Buffer body) {
    return new Answer(response.statusCode(), MultiMap.caseInsensitiveMultiMap().addAll(response.headers()), body.toString());
  }

  private static Queue<Message<Object>> consume(String address) {
    Queue<Message<Object>> received = new ConcurrentLinkedQueue<>();
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, received::add);
    Wait.await(consumer.completion());
    return received;
  }

  @Test
  void aPublishAnswersAndDeliversTheSameDirectlyAndThroughTheRouter() {
    Queue<Message<Object>> received = consume("events.direct.a.b");
    String event = "{\"n\":1}";
    // Direct; chunked (Router); "%2E" is an encoded dot (Router, which decodes it to the same address).
    List<Answer> answers = List.of(post("/api/publish/events.direct.a.b", "application/json", event, false),
      post("/api/publish/events.direct.a.b", "application/json", event, true),
      post("/api/publish/events.direct.a%2Eb", "application/json", event, false));
    for (Answer a : answers) {
      assertThat(a.status()).as(a.toString()).isEqualTo(202);
      assertThat(a.headers().get("x-request-id")).isEqualTo("req-1");
      assertThat(a.headers().get("content-type")).isEqualTo("application/json");
      assertThat(new JsonObject(a.body()).fieldNames()).containsExactly("id");
    }
    Wait.until("three events", () -> received.size() == 3);
    Set<String> firstHeaders = null;
    for (Message<Object> m : received) {
      assertThat(m.body()).isEqualTo(new JsonObject(event));
      assertThat(m.headers().contains("busbar-auth-sub")).isFalse();
      Set<String> names = new TreeSet<>(m.headers().names());
      if (firstHeaders == null) {
        firstHeaders = names;
      }
      assertThat(names).isEqualTo(firstHeaders);
    }
    assertThat(answers.stream().map(a -> new JsonObject(a.body()).getString("id"))).containsExactlyInAnyOrderElementsOf(
      received.stream().map(m -> m.headers().get("ce-id")).toList());
  }

  @Test
  void aSendIsServedDirectlyToOneConsumer() {
    Queue<Message<Object>> received = consume("events.direct.send");
    Answer a = post("/api/send/events.direct.send", "application/json", "[1,2]", false);
    assertThat(a.status()).isEqualTo(202);
    Wait.until("the event", () -> received.size() == 1);
    assertThat(received.peek().body()).isEqualTo(new JsonArray().add(1).add(2));
  }

  @Test
  void errorsAreTheSameDirectlyAndThroughTheRouter() {
    for (boolean chunked : new boolean[] {false, true}) {
      String shape = chunked ? "chunked" : "direct";
      Answer badJson = post("/api/publish/events.direct.x", "application/json", "{", chunked);
      assertThat(badJson.status()).as(shape).isEqualTo(400);
      assertThat(new JsonObject(badJson.body()).getString("error")).as(shape).isEqualTo("invalid_json");
      Answer text = post("/api/publish/events.direct.x", "text/plain", "hello", chunked);
      assertThat(text.status()).as(shape).isEqualTo(415);
      assertThat(new JsonObject(text.body()).getString("error")).as(shape).isEqualTo("unsupported_media_type");
      Answer reserved = post("/api/send/__vertx.reply.1", "application/json", "{}", chunked);
      assertThat(reserved.status()).as(shape).isEqualTo(403);
      assertThat(reserved.headers().get("x-request-id")).as(shape).isEqualTo("req-1");
      Answer tooLarge = post("/api/publish/events.direct.x", "application/json", "[" + "1,".repeat(BODY_LIMIT) + "1]", chunked);
      assertThat(tooLarge.status()).as(shape).isEqualTo(413);
      assertThat(new JsonObject(tooLarge.body()).getString("error")).as(shape).isEqualTo("body_too_large");
    }
  }

  @Test
  void onlyPlainAddressSegmentsAreTakenDirectly() {
    assertThat(DirectApiEndpoint.passedUnchanged("events.orders")).isTrue();
    for (String address : new String[] {"", ".", "..", "a/b", "a%2Fb", "events%2Eorders"}) {
      assertThat(DirectApiEndpoint.passedUnchanged(address)).as(address).isFalse();
    }
  }
}
