package io.busbar.gateway.security;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Token buckets keyed by whatever the caller chooses (a connection, a token's subject): {@code rate}
 * messages a second with bursts of up to {@code rate}. {@link #tryAcquire} answers 0 when the message
 * may pass, else how many milliseconds until it could. Idle buckets are dropped by {@link #sweep}.
 */
public final class RateLimiter {
  private final double ratePerMs;
  private final double capacity;
  private final LongSupplier clockMs;
  private final Map<Object, Bucket> buckets = new ConcurrentHashMap<>();

  public RateLimiter(int perSecond, LongSupplier clockMs) {
    this.ratePerMs = perSecond / 1000.0;
    this.capacity = Math.max(1, perSecond);
    this.clockMs = clockMs;
  }

  /** 0 if allowed (one token taken), else the wait in milliseconds (at least 1). */
  public long tryAcquire(Object key) {
    long now = clockMs.getAsLong();
    return take(buckets.computeIfAbsent(key, k -> new Bucket(capacity, now)), now);
  }

  /**
   * As {@link #tryAcquire(Object)}, for a bucket its owner keeps (a socket's session, say) instead of one
   * in this limiter's map: nothing to {@link #forget} or {@link #sweep}. A new bucket starts full.
   */
  public long tryAcquireIn(Bucket b) {
    return take(b, clockMs.getAsLong());
  }

  private long take(Bucket b, long now) {
    synchronized (b) {
      if (b.lastMs == Bucket.NEW) {
        b.tokens = capacity;
        b.lastMs = now;
      }
      b.tokens = Math.min(capacity, b.tokens + (now - b.lastMs) * ratePerMs);
      b.lastMs = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - b.tokens) / ratePerMs));
    }
  }

  public void forget(Object key) {
    buckets.remove(key);
  }

  /** Drops buckets unused for {@code idleMs} (they would be full again anyway). */
  public void sweep(long idleMs) {
    long now = clockMs.getAsLong();
    buckets.entrySet().removeIf(e -> now - e.getValue().lastMs > idleMs);
  }

  int size() {
    return buckets.size();
  }

  /** A token bucket; extend it to keep one in an object of your own (see {@link #tryAcquireIn(Bucket)}). */
  public static class Bucket {
    private static final long NEW = Long.MIN_VALUE;
    private double tokens;
    private long lastMs = NEW;

    protected Bucket() {
    }

    Bucket(double tokens, long lastMs) {
      this.tokens = tokens;
      this.lastMs = lastMs;
    }
  }
}
