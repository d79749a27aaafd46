package io.busbar.observe;

import io.busbar.BusbarNode;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /metrics} of a real node, scraped before and after real traffic (HTTP API and the SockJS
 * bridge): Vert.x's event-bus and HTTP meters, the JVM and process meters and Busbar's own exist and move.
 */
class MetricsTest {
  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static BusbarNode node;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(1);
    node = cluster.start(0, dir, conf -> { });
    port = cluster.httpPort(0);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Scrape scrape() {
    return Scrape.of(port);
  }

  @Test
  void seriesExistAndMoveWithTraffic() throws Exception {
    Scrape before = scrape();
    for (int i = 0; i < 3; i++) {
      assertThat(ForkedNode.postJson(port, "/api/publish/events.orders", "{\"n\":" + i + "}").statusCode()).isEqualTo(202);
    }
    assertThat(ForkedNode.postJson(port, "/api/request/svc.echo", "{\"hi\":1}").statusCode()).isEqualTo(200);
    assertThat(ForkedNode.postJson(port, "/api/publish/secret.stuff", "{}").statusCode()).isEqualTo(403);

    try (BridgeClient bridge = BridgeClient.connect(port, null)) {
      bridge.send(new JsonObject().put("type", "register").put("address", "events.metrics"));
      bridge.send(new JsonObject().put("type", "register").put("address", "secret.stuff"));
      Wait.until("one raw WebSocket socket open", () -> scrape().sum("busbar_sockjs_sockets_open", "transport", "raw_websocket") == 1);
      // The registration takes a moment to reach the cluster: publish until the socket receives one.
      Wait.until("a bridge publish delivered back to the socket", () -> {
        try {
          bridge.send(new JsonObject().put("type", "publish").put("address", "events.metrics").put("body", new JsonObject()));
          return bridge.take(frame -> true, Duration.ofMillis(200)) != null
            && scrape().sum("busbar_bridge_messages_total", "address", "events.metrics", "direction", "out") >= 1;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
    }

    Wait.until("the socket counted closed", () -> scrape().sum("busbar_sockjs_sockets_open", "transport", "raw_websocket") == 0);
    Scrape after = scrape();
    System.out.printf("/metrics: %d series before the traffic, %d after%n", before.samples().size(), after.samples().size());

    assertMoved(before, after, 3, "busbar_http_api_requests_total", "operation", "publish", "status", "202");
    assertMoved(before, after, 1, "busbar_http_api_requests_total", "operation", "request", "status", "200");
    assertMoved(before, after, 1, "busbar_http_api_requests_total", "operation", "publish", "status", "403");
    assertMoved(before, after, 1, "busbar_denied_total", "reason", "http_inbound");
    assertMoved(before, after, 1, "busbar_denied_total", "reason", "sockjs_outbound");
    assertMoved(before, after, 1, "busbar_bridge_messages_total", "address", "events.metrics", "direction", "in");
    assertMoved(before, after, 1, "busbar_bridge_messages_total", "address", "events.metrics", "direction", "out");
    assertMoved(before, after, 3, "vertx_eventbus_published_total", "address", "events.orders");
    assertMoved(before, after, 1, "vertx_eventbus_sent_total", "address", "svc.echo");
    assertMoved(before, after, 3, "vertx_http_server_requests_total", "route", "/api/publish/:address", "code", "202");
    assertMoved(before, after, 1, "vertx_http_server_requests_total", "route", "/api/request/:address", "code", "200");
    assertMoved(before, after, 3, "vertx_http_server_response_time_seconds_count", "route", "/api/publish/:address", "code", "202");
    assertMoved(before, after, 3, "vertx_http_server_response_bytes_count", "route", "/api/publish/:address", "code", "202");
    assertMoved(before, after, 3, "vertx_http_server_request_bytes_count", "method", "POST");
    // Every POST has ended by now: none is still counted as being processed.
    assertThat(after.sum("vertx_http_server_active_requests", "method", "POST")).isZero();
    assertThat(after.has("jvm_memory_used_bytes", "area", "heap")).isTrue();
    assertThat(after.has("jvm_threads_live_threads")).isTrue();
    assertThat(after.has("process_cpu_usage")).isTrue();
    assertThat(after.has("process_uptime_seconds")).isTrue();
    assertThat(after.sum("busbar_cluster_members")).isEqualTo(1);
    Wait.until("the node's own heartbeat counted", () -> scrape().sum("busbar_cluster_nodes_heartbeating") == 1);
    // No series is labelled with a raw path or a per-request reply address.
    assertThat(after.samples()).noneMatch(s -> s.labels().containsKey("path"));
    assertThat(after.samples()).noneMatch(s -> s.labels().getOrDefault("address", "").startsWith("__vertx.reply."));
  }

  private static void assertMoved(Scrape before, Scrape after, double atLeast, String name, String... labels) {
    double moved = after.sum(name, labels) - before.sum(name, labels);
    assertThat(moved).as(name + " " + String.join(",", labels) + " moved by").isGreaterThanOrEqualTo(atLeast);
  }
}
