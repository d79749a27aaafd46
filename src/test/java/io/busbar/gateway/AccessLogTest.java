package io.busbar.gateway;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code logging.requests}, every API request is logged once on {@code io.busbar.access} with its
 * request id, status and duration, whether the direct endpoint or the Router served it.
 */
class AccessLogTest {
  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static Vertx client;
  private static HttpClient http;
  private static Context loop;
  private static final ListAppender<ILoggingEvent> accessLog = new ListAppender<>();

  @BeforeAll
  static void start() throws Exception {
    accessLog.start();
    ((Logger) LoggerFactory.getLogger("io.busbar.access")).addAppender(accessLog);
    cluster = new TestCluster(1);
    cluster.start(0, dir, conf -> conf.put("roles", new JsonArray().add("gateway"))
      .put("logging", new JsonObject().put("format", "text").put("requests", true)));
    client = Vertx.vertx();
    http = client.createHttpClient();
    loop = client.getOrCreateContext();
  }

  @AfterAll
  static void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger("io.busbar.access")).detachAppender(accessLog);
    Wait.await(http.close());
    TestCluster.close(client, cluster);
  }

  private static int post(String uri, String requestId, boolean chunked) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(cluster.httpPort(0))
      .setURI(uri).setTimeout(10_000).putHeader("content-type", "application/json").putHeader("x-request-id", requestId);
    return Wait.await(Wait.on(loop, () -> http.request(options).compose(request -> {
      request.setChunked(chunked);
      return request.send(Buffer.buffer("{\"n\":1}"));
    }).compose(response -> response.body().map(b -> response.statusCode()))).compose(status -> status));
  }

  private static Map<String, Object> logged(String requestId) {
    Wait.until("the access log line of " + requestId, () -> lines(requestId).size() == 1);
    Map<String, Object> fields = new HashMap<>();
    for (KeyValuePair kv : lines(requestId).get(0).getKeyValuePairs()) {
      fields.put(kv.key, kv.value);
    }
    return fields;
  }

  private static List<ILoggingEvent> lines(String requestId) {
    synchronized (accessLog.list) {
      return accessLog.list.stream().filter(e -> e.getKeyValuePairs() != null
        && e.getKeyValuePairs().stream().anyMatch(kv -> kv.key.equals("requestId") && requestId.equals(kv.value))).toList();
    }
  }

  @Test
  void eachRequestIsLoggedOnceWithItsStatusAndDurationDirectlyAndThroughTheRouter() {
    // Plain (the direct endpoint), chunked (the Router), and a refused address (403 from the direct endpoint).
    assertThat(post("/api/publish/events.log.a", "log-direct", false)).isEqualTo(202);
    assertThat(post("/api/publish/events.log.a", "log-router", true)).isEqualTo(202);
    assertThat(post("/api/publish/secret.log", "log-denied", false)).isEqualTo(403);
    for (String id : List.of("log-direct", "log-router", "log-denied")) {
      Map<String, Object> fields = logged(id);
      assertThat(fields).as(id).containsKeys("nodeId", "method", "path", "status", "durationMs");
      assertThat(fields.get("method")).as(id).isEqualTo("POST");
      assertThat(((Number) fields.get("durationMs")).longValue()).as(id).isBetween(0L, 10_000L);
    }
    assertThat(logged("log-direct").get("status")).isEqualTo(202);
    assertThat(logged("log-router").get("status")).isEqualTo(202);
    assertThat(logged("log-denied").get("status")).isEqualTo(403);
    assertThat(logged("log-denied").get("path")).isEqualTo("/api/publish/secret.log");
  }
}
