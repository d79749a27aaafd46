package io.busbar.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;

/**
 * This node's Hazelcast member, started by Busbar rather than by vertx-hazelcast so that it joins with
 * {@link PromptJoiner}: vertx-hazelcast can only start a member with Hazelcast's default joiner. The
 * member is set up the way vertx-hazelcast sets up one of its own (a Vert.x node id, Hazelcast's shutdown
 * hook off so that Busbar's own drain runs first), and handed to it already joined through
 * {@link #clusterManager}, which also stops it when Vert.x leaves the cluster (vertx-hazelcast leaves a
 * member it did not start running): closing Vert.x stops the member, as before.
 */
public final class HazelcastMember {
  /** The member attribute vertx-hazelcast reads a node's Vert.x id from (private in its cluster manager). */
  static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

  private HazelcastMember() {
  }

  /**
   * Starts and joins a member on a thread of its own (it blocks until joined); fails as Hazelcast's
   * start fails, a bad configuration or no free port, say.
   */
  public static Future<HazelcastInstance> start(Config config) {
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, UUID.randomUUID().toString());
    Promise<HazelcastInstance> started = Promise.promise();
    Thread starter = new Thread(() -> {
      try {
        started.complete(HazelcastInstanceFactory.newHazelcastInstance(config, config.getInstanceName(), new PromptJoiner.Context()));
      } catch (Throwable e) {
        started.fail(e);
      }
    }, "busbar-cluster-join");
    starter.start();
    return started.future();
  }

  /** vertx-hazelcast's cluster manager for {@code member}; leaving the cluster also stops the member. */
  public static HazelcastClusterManager clusterManager(HazelcastInstance member) {
    return new HazelcastClusterManager(member) {
      @Override
      public void leave(Completable<Void> promise) {
        super.leave((left, failure) -> shutdown(member).onComplete(stopped -> promise.complete(left, failure)));
      }
    };
  }

  /**
   * Leaves the cluster and stops the member, on a thread of its own; completes when it has stopped.
   * Does nothing to a member already stopped.
   */
  public static Future<Void> shutdown(HazelcastInstance member) {
    Promise<Void> stopped = Promise.promise();
    Thread stopper = new Thread(() -> {
      // As vertx-hazelcast stops its own members: a shutdown racing Hazelcast's own executors can be refused.
      while (member.getLifecycleService().isRunning()) {
        try {
          member.getLifecycleService().shutdown();
        } catch (RejectedExecutionException retry) {
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          }
        }
      }
      stopped.complete();
    }, "busbar-cluster-leave");
    stopper.start();
    return stopped.future();
  }
}
