package io.busbar.gateway.security;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What {@code gateway.limits} counts for the node as a whole, whichever of its gateway instances
 * ({@code gateway.instances}, one event loop each) a client's connection landed on: the bridge's sockets,
 * in all and per client IP ({@code maxConnectionsPerNode}, {@code maxConnectionsPerIp}), and the message
 * rate of each token subject ({@code messagesPerSecondPerToken}). Kept in the Vert.x instance's local
 * shared data, so that every instance finds the same one; it is touched from several event loops, so
 * every count is atomic.
 */
public final class NodeLimits implements Shareable {
  private static final String MAP = "busbar.gateway";
  private static final String KEY = "limits";

  private final AtomicInteger sockets = new AtomicInteger();
  private final Map<String, IpCount> perIp = new ConcurrentHashMap<>();
  private final Map<Integer, RateLimiter> perTokenByRate = new ConcurrentHashMap<>();

  private NodeLimits() {
  }

  /** The node's one instance, made by whichever gateway instance asks first. */
  public static NodeLimits of(Vertx vertx) {
    return vertx.sharedData().<String, NodeLimits>getLocalMap(MAP).computeIfAbsent(KEY, k -> new NodeLimits());
  }

  /**
   * The token subjects' buckets at {@code perSecond}. Keyed by the rate so that a gateway deployed again
   * with another limit (in tests, say) does not inherit buckets filled at the old one.
   */
  RateLimiter perToken(int perSecond) {
    return perTokenByRate.computeIfAbsent(perSecond, r -> new RateLimiter(r, System::currentTimeMillis));
  }

  /**
   * Takes a socket slot if fewer than {@code maxPerNode} are taken (sockets open or still being
   * authenticated); false if the node is full. Atomic, so instances admitting at once cannot overshoot.
   */
  boolean tryTakeSocket(int maxPerNode) {
    while (true) {
      int taken = sockets.get();
      if (taken >= maxPerNode) {
        return false;
      }
      if (sockets.compareAndSet(taken, taken + 1)) {
        return true;
      }
    }
  }

  /** Gives back a slot from {@link #tryTakeSocket} (a socket closed, or refused after it was taken). */
  void releaseSocket() {
    sockets.decrementAndGet();
  }

  /** Whether {@code ip} already has {@code maxPerIp} sockets open. */
  boolean ipFull(String ip, int maxPerIp) {
    IpCount count = perIp.get(ip);
    return count != null && count.get() >= maxPerIp;
  }

  /**
   * Counts one more open socket from {@code ip}, inside {@code compute()}: a close on another event loop
   * that drops a counter at zero cannot then leave this socket holding a counter the map no longer has.
   * The socket keeps the counter (and its one copy of the address) to give back with {@link #closedFrom}.
   */
  IpCount openedFrom(String ip) {
    return perIp.compute(ip, (k, n) -> {
      IpCount c = n == null ? new IpCount(k) : n;
      c.incrementAndGet();
      return c;
    });
  }

  void closedFrom(IpCount count) {
    perIp.computeIfPresent(count.ip, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  /** The open sockets of one client IP address. */
  static final class IpCount extends AtomicInteger {
    final String ip;

    IpCount(String ip) {
      this.ip = ip;
    }
  }
}
