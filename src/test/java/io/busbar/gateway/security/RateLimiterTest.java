package io.busbar.gateway.security;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A bucket kept by its owner behaves as one kept in the limiter's map: starts full, refills at the rate. */
class RateLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final RateLimiter limiter = new RateLimiter(10, now::get);

  @Test
  void ownedBucketStartsFullAndRefillsAtTheRate() {
    RateLimiter.Bucket mine = new RateLimiter.Bucket() { };
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.tryAcquireIn(mine)).as("burst " + i).isZero();
    }
    assertThat(limiter.tryAcquireIn(mine)).isBetween(1L, 100L);
    now.addAndGet(100);
    assertThat(limiter.tryAcquireIn(mine)).isZero();
    assertThat(limiter.tryAcquireIn(mine)).isPositive();
    assertThat(limiter.size()).as("nothing kept in the limiter's map").isZero();
  }

  @Test
  void keyedBucketsAgree() {
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.tryAcquire("k")).isZero();
    }
    assertThat(limiter.tryAcquire("k")).isBetween(1L, 100L);
  }
}
