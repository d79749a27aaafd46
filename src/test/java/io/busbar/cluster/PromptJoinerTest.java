package io.busbar.cluster;

import io.busbar.BusbarNode;
import io.busbar.NodeContext;
import io.busbar.config.ConfigValidator;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link PromptJoiner} skips Hazelcast's second of waiting only when no listed member answers; nodes that
 * start at the same moment must still form one cluster, not one each. Real members on 127.0.0.1, started
 * concurrently (each {@link BusbarNode#start} joins on a thread of its own), several times over.
 */
class PromptJoinerTest {

  @Test
  void nodesStartedTogetherFormOneCluster(@TempDir Path dir) throws Exception {
    for (int size : new int[] {2, 3, 2, 3}) {
      TestCluster cluster = new TestCluster(size);
      List<JsonObject> configs = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        JsonObject config = cluster.config(i, dir);
        ConfigValidator.validate(config);
        configs.add(config);
      }
      List<Future<BusbarNode>> starting = new ArrayList<>();
      try {
        for (JsonObject config : configs) {
          starting.add(BusbarNode.start(config));
        }
        for (Future<BusbarNode> node : starting) {
          BusbarNode started = node.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
          Wait.until("every one of " + size + " nodes started together sees all " + size
            + " (a node that formed a cluster of its own would not)", () -> NodeContext.of(started.vertx()).clusterSize() == size);
        }
      } finally {
        // Every node that started is closed, also when another did not start or the check failed.
        for (Future<BusbarNode> node : starting) {
          Future<Void> closed = node.compose(BusbarNode::close);
          closed.toCompletionStage().toCompletableFuture().exceptionally(e -> null).get(90, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void aNodeWhoseListedMemberIsAbsentStartsAloneAndTheMemberJoinsItLater(@TempDir Path dir) throws Exception {
    try (TestCluster cluster = new TestCluster(2)) {
      BusbarNode first = cluster.start(0, dir, c -> { });
      assertThat(NodeContext.of(first.vertx()).clusterSize()).isEqualTo(1);
      BusbarNode second = cluster.start(1, dir, c -> { });
      Wait.until("the member that was absent joins the node that started alone",
        () -> NodeContext.of(first.vertx()).clusterSize() == 2 && NodeContext.of(second.vertx()).clusterSize() == 2);
    }
  }
}
