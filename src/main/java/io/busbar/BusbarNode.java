package io.busbar;

import io.busbar.cluster.HazelcastConfigFactory;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Busbar node: a clustered Vert.x instance with {@link MainVerticle} deployed. Used by
 * {@link Main}, by the tests and by anyone embedding Busbar. If deployment fails after the node joined
 * the cluster, the node leaves the cluster before the returned future fails.
 */
public final class BusbarNode {
  private static final Logger LOG = LoggerFactory.getLogger(BusbarNode.class);

  private final Vertx vertx;
  private final NodeContext context;

  private BusbarNode(Vertx vertx, NodeContext context) {
    this.vertx = vertx;
    this.context = context;
  }

  /** Joins the cluster and deploys what {@code config} asks for; {@code config} must be validated. */
  public static Future<BusbarNode> start(JsonObject config) {
    JsonObject cluster = config.getJsonObject("cluster");
    HazelcastClusterManager clusterManager = new HazelcastClusterManager(HazelcastConfigFactory.create(cluster));
    VertxOptions options = new VertxOptions().setEventBusOptions(HazelcastConfigFactory.eventBusOptions(cluster));
    // Not tied to any Vert.x context: when deployment fails the result is completed after Vert.x has closed,
    // and a context-bound future would then be dispatched to a terminated event loop and never complete.
    Promise<BusbarNode> started = Promise.promise();
    Vertx.builder().with(options).withClusterManager(clusterManager).buildClustered().onComplete(built -> {
      if (built.failed()) {
        started.fail(built.cause());
        return;
      }
      Vertx vertx = built.result();
      NodeContext context = new NodeContext(clusterManager.getNodeId(),
        config.getJsonArray("roles").stream().map(String.class::cast).toList(), clusterManager::isActive,
        // Membership is kept locally by Hazelcast: cheap, safe on the event loop; 0 once the node has left.
        () -> clusterManager.isActive() ? clusterManager.getNodes().size() : 0);
      context.register(vertx);
      LOG.info("node {} joined cluster '{}' ({} members)", context.nodeId, cluster.getString("name"),
        clusterManager.getNodes().size());
      vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(config)).onComplete(deployed -> {
        if (deployed.succeeded()) {
          started.complete(new BusbarNode(vertx, context));
        } else {
          vertx.close().onComplete(closed -> started.fail(deployed.cause()));
        }
      });
    });
    return started.future();
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return context.nodeId;
  }

  /** Undeploys everything and leaves the cluster. */
  public Future<Void> close() {
    return vertx.close();
  }
}
