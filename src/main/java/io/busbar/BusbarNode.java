package io.busbar;

import com.hazelcast.core.HazelcastInstance;
import io.busbar.cluster.BatchedClusterLinks;
import io.busbar.cluster.HazelcastConfigFactory;
import io.busbar.cluster.HazelcastMember;
import io.busbar.cluster.QuietAddressCache;
import io.busbar.cluster.Reliability;
import io.busbar.cluster.ReliabilitySettings;
import io.busbar.observe.LogFormat;
import io.busbar.observe.Observability;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
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
  private final Observability observability;

  private BusbarNode(Vertx vertx, NodeContext context, Observability observability) {
    this.vertx = vertx;
    this.context = context;
    this.observability = observability;
  }

  /**
   * Joins the cluster and deploys what {@code config} asks for; {@code config} must be validated. The
   * returned future is not bound to the node's event loops: if deployment fails, the node is closed
   * (it leaves the cluster) and only then is the future failed, from a plain thread.
   */
  public static Future<BusbarNode> start(JsonObject config) {
    LogFormat.apply(config);
    JsonObject cluster = config.getJsonObject("cluster");
    ReliabilitySettings reliability = ReliabilitySettings.from(config.getJsonObject("reliability"));
    HazelcastConfigFactory.ClusterSettings settings = HazelcastConfigFactory.create(cluster, reliability);
    VertxOptions options = new VertxOptions().setEventBusOptions(settings.eventBus());
    // Metrics must be chosen when Vert.x is built; Observability also keeps the readiness settings.
    Observability observability = Observability.create(config);
    Promise<BusbarNode> result = Promise.promise();
    HazelcastMember.start(settings.hazelcast()).onComplete(joined -> {
      if (joined.failed()) {
        observability.close();
        result.fail(joined.cause());
        return;
      }
      HazelcastInstance member = joined.result();
      HazelcastClusterManager clusterManager = HazelcastMember.clusterManager(member);
      ClusterManager changed = new BatchedClusterLinks(new QuietAddressCache(clusterManager));
      observability.configure(Vertx.builder(), options).withClusterManager(changed).buildClustered().onComplete(built -> {
        if (built.failed()) {
          // A start that failed after Vert.x joined has left the cluster, which stopped the member; one that failed
          // before has not.
          HazelcastMember.shutdown(member).onComplete(stopped -> {
            observability.close();
            result.fail(built.cause());
          });
          return;
        }
        Vertx vertx = built.result();
        NodeContext context = new NodeContext(clusterManager.getNodeId(),
          config.getJsonArray("roles").stream().map(String.class::cast).toList(), clusterManager::isActive,
          // Membership is kept locally by Hazelcast: cheap, safe on the event loop; 0 once the node has left.
          () -> clusterManager.isActive() ? clusterManager.getNodes().size() : 0,
          member);
        context.register(vertx);
        LogFormat.nodeId(context.nodeId);
        observability.register(vertx, context::clusterSize);
        Reliability.install(vertx, reliability, member);
        LOG.info("node {} joined cluster '{}' ({} members)", context.nodeId, cluster.getString("name"),
          clusterManager.getNodes().size());
        BusbarNode node = new BusbarNode(vertx, context, observability);
        vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(config)).onComplete(deployed -> {
          if (deployed.succeeded()) {
            result.complete(node);
          } else {
            node.closeThenFail(deployed.cause(), result);
          }
        });
      });
    });
    return result.future();
  }

  /**
   * Closing Vert.x from one of its own event loops completes the close on a loop that is already shut
   * down, so nothing chained there would run: close from a plain thread instead.
   */
  private void closeThenFail(Throwable failure, Promise<BusbarNode> result) {
    LOG.warn("start-up failed, leaving the cluster: {}", failure.toString());
    Thread closer = new Thread(() -> close().toCompletionStage().whenComplete((v, e) -> result.fail(failure)),
      "busbar-startup-failure");
    closer.start();
  }

  public Vertx vertx() {
    return vertx;
  }

  public String nodeId() {
    return context.nodeId;
  }

  /** Undeploys everything and leaves the cluster, at once (no drain). */
  public Future<Void> close() {
    return vertx.close().onComplete(v -> observability.close());
  }

  /**
   * Graceful stop: drains (readiness false, new HTTP work 503, in-flight deliveries finish, reliable
   * consumers unregister, SockJS clients told to reconnect elsewhere; see {@link Drain}), then closes.
   */
  public Future<Void> drainAndClose() {
    return Drain.run(vertx).eventually(vertx::close);
  }
}
