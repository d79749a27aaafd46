package io.busbar.cluster;

import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * One change to the node's cluster manager (Hazelcast's, wrapped; everything else is forwarded to it):
 * it remembers, for a moment, the addresses that have no subscriber anywhere in the cluster.
 * <p>
 * Why: Vert.x caches the nodes of an address only while it has some. For an address with none, every
 * publish or send asks the cluster manager again, and Hazelcast's answers with a blocking read of the
 * subscription map on a worker thread: a thread hand-off and a cluster read per event, about a quarter
 * of the CPU of a publish that nobody listens to (bench B1). Events to quiet addresses are common: a
 * producer publishes whether or not a consumer is up.
 * <p>
 * What keeps it correct: an address is remembered as quiet only if the empty answer was not overtaken by
 * a registration update, and is forgotten on the first update for it (it then wants those updates, as
 * Vert.x's own cache of busy addresses does), when this node registers on it, when registrations are
 * lost (a member left or a partition merged), and after {@link #TTL_MS} in any case, so that an update
 * lost by the cluster costs at most that long. At most {@link #MAX_ADDRESSES} addresses are remembered
 * (expired ones make room); past that, a quiet address is asked about every time, as before.
 */
public final class QuietAddressCache extends ForwardingClusterManager {
  static final long TTL_MS = 1_000;
  static final int MAX_ADDRESSES = 10_000;

  private final LongSupplier clockMs;
  private final int maxAddresses;
  private final AtomicLong lastSweep = new AtomicLong(Long.MIN_VALUE / 2);
  /** An address whose registrations are being asked for or known to be none; removed when it may have some. */
  private final Map<String, Quiet> quiet = new ConcurrentHashMap<>();

  /** One ask about an address: {@code since} is set once it answered none (0 while in flight). */
  private static final class Quiet {
    volatile long since;
  }

  public QuietAddressCache(ClusterManager delegate) {
    this(delegate, System::currentTimeMillis, MAX_ADDRESSES);
  }

  QuietAddressCache(ClusterManager delegate, LongSupplier clockMs, int maxAddresses) {
    super(delegate);
    this.clockMs = clockMs;
    this.maxAddresses = maxAddresses;
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    Quiet known = quiet.get(address);
    if (known != null && known.since != 0) {
      if (clockMs.getAsLong() - known.since < TTL_MS) {
        promise.succeed(List.of());
        return;
      }
      quiet.remove(address, known);
    }
    // Marked before asking, so that an update arriving while the answer is on its way removes the mark
    // and the (by then stale) empty answer is not kept.
    Quiet asking = quiet.size() < maxAddresses || sweptExpired() ? new Quiet() : null;
    if (asking != null) {
      quiet.put(address, asking);
    }
    delegate.getRegistrations(address, (registrations, failure) -> {
      if (asking != null) {
        if (failure == null && registrations.isEmpty()) {
          asking.since = clockMs.getAsLong();
        } else {
          quiet.remove(address, asking);
        }
      }
      promise.complete(registrations, failure);
    });
  }

  /**
   * True if the address is remembered as quiet: its last ask found no subscriber anywhere in the cluster,
   * less than {@link #TTL_MS} ago, and no registration for it has arrived since. That is the answer
   * Vert.x would get if it asked now, so a publish or send to it reaches this node's local-only consumers
   * and nobody else. False for anything else, including an address never asked about.
   */
  public boolean knownQuiet(String address) {
    Quiet known = quiet.get(address);
    return known != null && known.since != 0 && clockMs.getAsLong() - known.since < TTL_MS;
  }

  /**
   * {@link #knownQuiet} of the node's cluster manager, or never quiet if {@code vertx} was not built with
   * this cache (a plain Vert.x in a test).
   */
  public static Predicate<String> knownQuiet(Vertx vertx) {
    QuietAddressCache cache = find(vertx, QuietAddressCache.class);
    return cache != null ? cache::knownQuiet : address -> false;
  }

  /**
   * Makes room when full by dropping what has expired (addresses not asked about again), at most once per
   * time-to-live so that a full cache of fresh addresses is not scanned on every event. True if there is room.
   */
  private boolean sweptExpired() {
    long now = clockMs.getAsLong();
    long last = lastSweep.get();
    if (now - last >= TTL_MS && lastSweep.compareAndSet(last, now)) {
      quiet.values().removeIf(q -> q.since != 0 && now - q.since >= TTL_MS);
    }
    return quiet.size() < maxAddresses;
  }

  /** How many addresses are remembered (asked about or quiet): for tests. */
  int size() {
    return quiet.size();
  }

  @Override
  public void registrationListener(RegistrationListener listener) {
    delegate.registrationListener(new RegistrationListener() {
      @Override
      public void registrationsUpdated(RegistrationUpdateEvent event) {
        quiet.remove(event.address());
        if (listener.wantsUpdatesFor(event.address())) {
          listener.registrationsUpdated(event);
        }
      }

      @Override
      public void registrationsLost() {
        quiet.clear();
        listener.registrationsLost();
      }

      @Override
      public boolean wantsUpdatesFor(String address) {
        return quiet.containsKey(address) || listener.wantsUpdatesFor(address);
      }
    });
  }

  @Override
  public void addRegistration(String address, RegistrationInfo registrationInfo, Completable<Void> promise) {
    quiet.remove(address);
    delegate.addRegistration(address, registrationInfo, promise);
  }
}
