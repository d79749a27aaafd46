package io.busbar.observe;

import io.busbar.BusbarNode;
import io.busbar.NodeContext;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /ready} of real clustered nodes: not ready while alone when {@code cluster.minMembers} asks for
 * a peer, ready once the peer joined (the cluster is then also safe), not ready again once draining,
 * while {@code /health} stays up throughout and the draining node's API answers 503 {@code draining}.
 * Node B also runs with metrics and the console turned off.
 */
class ReadinessTest {
  @TempDir
  Path dir;

  @Test
  void readyNeedsTheExpectedPeersAndFlipsWhenDraining() throws Exception {
    try (TestCluster cluster = new TestCluster(2)) {
      BusbarNode a = cluster.start(0, dir, conf -> conf.getJsonObject("cluster").put("minMembers", 2));
      int portA = cluster.httpPort(0);

      JsonObject alone = ready(portA, 503);
      assertThat(alone.getString("status")).isEqualTo("DOWN");
      assertThat(alone.getString("nodeId")).isEqualTo(a.nodeId());
      assertThat(alone.getInteger("clusterSize")).isEqualTo(1);
      assertThat(alone.getJsonObject("checks").getBoolean("members")).isFalse();
      assertThat(alone.getJsonObject("checks").getBoolean("cluster")).isTrue();
      assertThat(alone.getJsonObject("checks").getBoolean("gateway")).isTrue();
      assertThat(alone.getJsonObject("checks").getBoolean("notDraining")).isTrue();
      assertThat(detail(alone, "members").getJsonObject("data")).isEqualTo(new JsonObject().put("clusterSize", 1).put("minMembers", 2));
      assertThat(ForkedNode.get(portA, "/health").statusCode()).isEqualTo(200);

      // B also shows that metrics and the console can be turned off.
      cluster.start(1, dir, conf -> {
        conf.put("roles", new JsonArray().add("gateway")).getJsonObject("cluster").put("minMembers", 2);
        conf.getJsonObject("metrics").put("enabled", false);
        conf.getJsonObject("gateway").getJsonObject("console").put("enabled", false);
      });
      int portB = cluster.httpPort(1);
      assertThat(status(portB, "/metrics")).isEqualTo(404);
      assertThat(status(portB, "/")).isEqualTo(404);
      assertThat(status(portA, "/metrics")).isEqualTo(200);
      assertThat(status(portA, "/")).isEqualTo(200);
      for (int port : new int[] {portA, portB}) {
        Wait.until("node on " + port + " ready with its peer", Duration.ofSeconds(30), () -> status(port, "/ready") == 200);
      }
      JsonObject together = ready(portA, 200);
      assertThat(together.getString("status")).isEqualTo("UP");
      assertThat(together.getInteger("clusterSize")).isEqualTo(2);
      assertThat(together.getJsonObject("checks").getMap()).containsOnlyKeys("cluster", "clusterSafe", "gateway", "notDraining", "members")
        .allSatisfy((k, v) -> assertThat(v).isEqualTo(true));

      assertThat(NodeContext.of(a.vertx()).startDraining()).isTrue();
      JsonObject draining = ready(portA, 503);
      assertThat(draining.getJsonObject("checks").getBoolean("notDraining")).isFalse();
      assertThat(draining.getJsonObject("checks").getBoolean("members")).isTrue();
      assertThat(ForkedNode.get(portA, "/health").statusCode()).isEqualTo(200);
      assertThat(status(portB, "/ready")).isEqualTo(200);
      // The API takes no new work while draining, and says where to go; the answer still carries a request id.
      HttpResponse<String> refused = ForkedNode.postJson(portA, "/api/publish/events.drained", "{}");
      assertThat(refused.statusCode()).isEqualTo(503);
      assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("draining");
      assertThat(refused.headers().firstValue("retry-after")).isPresent();
      assertThat(refused.headers().firstValue("x-request-id")).isPresent();
      assertThat(ForkedNode.postJson(portB, "/api/publish/events.drained", "{}").statusCode()).isEqualTo(202);
    }
  }

  private static JsonObject ready(int port, int expected) throws Exception {
    HttpResponse<String> response = ForkedNode.get(port, "/ready");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(expected);
    return new JsonObject(response.body());
  }

  private static JsonObject detail(JsonObject ready, String id) {
    return ready.getJsonArray("details").stream().map(JsonObject.class::cast)
      .filter(d -> id.equals(d.getString("id"))).findFirst().orElseThrow();
  }

  private static int status(int port, String path) {
    try {
      return ForkedNode.get(port, path).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
