package io.busbar.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The reliability machinery of one node, found from {@code vertx} like {@code NodeContext}: settings,
 * the deduplication map, the deliveries in flight (told at once when a member leaves, so that they are
 * retried on the survivors instead of waiting for their timeout) and the drain hooks that a graceful
 * stop runs.
 */
public final class Reliability implements Shareable {
  private static final Logger LOG = LoggerFactory.getLogger(Reliability.class);
  private static final String MAP = "busbar.node";
  private static final String KEY = "reliability";

  /** Something in flight that wants to hear about lost members (a delivery). */
  public interface FailoverListener {
    void memberLeft();
  }

  public final ReliabilitySettings settings;
  public final Dedup dedup;
  private final Set<FailoverListener> inFlight = ConcurrentHashMap.newKeySet();
  private final List<Supplier<Future<?>>> drainHooks = new CopyOnWriteArrayList<>();
  private volatile long lastMemberLeftNanos = System.nanoTime() - 3_600_000_000_000L;

  private Reliability(ReliabilitySettings settings, HazelcastInstance hazelcast) {
    this.settings = settings;
    this.dedup = new Dedup(hazelcast, settings.leaseMs());
  }

  /** Called once by {@code BusbarNode} after joining. */
  public static Reliability install(Vertx vertx, ReliabilitySettings settings, HazelcastInstance hazelcast) {
    Reliability reliability = new Reliability(settings, hazelcast);
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // Nothing to do: new consumers are found by the event bus.
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        reliability.memberRemoved(event);
      }
    });
    vertx.sharedData().<String, Reliability>getLocalMap(MAP).put(KEY, reliability);
    return reliability;
  }

  public static Reliability of(Vertx vertx) {
    Reliability r = vertx.sharedData().<String, Reliability>getLocalMap(MAP).get(KEY);
    if (r == null) {
      throw new IllegalStateException("not a Busbar node: start Vert.x with BusbarNode.start");
    }
    return r;
  }

  private void memberRemoved(MembershipEvent event) {
    lastMemberLeftNanos = System.nanoTime();
    LOG.info("member {} left: retrying {} deliveries in flight at once", event.getMember().getUuid(), inFlight.size());
    // Listeners hop back to their own Vert.x context themselves.
    inFlight.forEach(FailoverListener::memberLeft);
  }

  /** True for a short while after a member left, while stale routes to it may still be used. */
  public boolean inFailoverWindow() {
    return System.nanoTime() - lastMemberLeftNanos < settings.failoverWindowMs() * 1_000_000L;
  }

  public void track(FailoverListener delivery) {
    inFlight.add(delivery);
  }

  public void untrack(FailoverListener delivery) {
    inFlight.remove(delivery);
  }

  public int inFlight() {
    return inFlight.size();
  }

  /** Registers what a graceful drain must wait for (a consumer to finish its handlers, say). */
  public Runnable onDrain(Supplier<Future<?>> hook) {
    drainHooks.add(hook);
    return () -> drainHooks.remove(hook);
  }

  /** Runs every drain hook at once; completes when all are done (failures are logged, not fatal). */
  public Future<Void> runDrainHooks() {
    List<Future<?>> all = new ArrayList<>();
    for (Supplier<Future<?>> hook : drainHooks) {
      try {
        all.add(hook.get().recover(e -> {
          LOG.warn("drain step failed: {}", e.toString());
          return Future.succeededFuture();
        }));
      } catch (RuntimeException e) {
        LOG.warn("drain step failed: {}", e.toString());
      }
    }
    return Future.join(all).mapEmpty();
  }
}
