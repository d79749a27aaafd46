package io.busbar.gateway.security;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node-wide counts that several gateway instances, each on its own event loop, take and give back at
 * once: none may overshoot its limit or lose a count.
 */
class NodeLimitsTest {
  private static final int THREADS = 4;
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @Test
  void oneInstancePerVertxWhoeverAsksFirst() {
    assertThat(NodeLimits.of(vertx)).isSameAs(NodeLimits.of(vertx));
    Vertx other = Vertx.vertx();
    try {
      assertThat(NodeLimits.of(other)).isNotSameAs(NodeLimits.of(vertx));
    } finally {
      other.close().await();
    }
    // One token bucket set per rate, shared by every instance configured with it.
    assertThat(NodeLimits.of(vertx).perToken(30)).isSameAs(NodeLimits.of(vertx).perToken(30)).isNotSameAs(NodeLimits.of(vertx).perToken(31));
  }

  @Test
  void socketSlotsNeverOvershootUnderRacingInstances() throws Exception {
    NodeLimits limits = NodeLimits.of(vertx);
    AtomicInteger taken = new AtomicInteger();
    race(() -> {
      for (int i = 0; i < 10_000; i++) {
        if (limits.tryTakeSocket(1_000)) {
          taken.incrementAndGet();
        }
      }
    });
    assertThat(taken.get()).isEqualTo(1_000);
    for (int i = 0; i < 1_000; i++) {
      limits.releaseSocket();
    }
    assertThat(limits.tryTakeSocket(1)).as("every slot given back").isTrue();
    limits.releaseSocket();
  }

  @Test
  void perIpCountsOpenedAndClosedOnManyThreadsEndAtZero() throws Exception {
    NodeLimits limits = NodeLimits.of(vertx);
    race(() -> {
      for (int i = 0; i < 5_000; i++) {
        NodeLimits.IpCount count = limits.openedFrom("10.0.0." + (i % 3));
        limits.closedFrom(count);
      }
    });
    for (int ip = 0; ip < 3; ip++) {
      assertThat(limits.ipFull("10.0.0." + ip, 1)).as("10.0.0." + ip + " has no socket left counted").isFalse();
    }
    List<NodeLimits.IpCount> open = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      open.add(limits.openedFrom("10.0.0.9"));
    }
    assertThat(limits.ipFull("10.0.0.9", 3)).isTrue();
    assertThat(limits.ipFull("10.0.0.9", 4)).isFalse();
    open.forEach(limits::closedFrom);
    assertThat(limits.ipFull("10.0.0.9", 1)).isFalse();
  }

  /** Runs {@code work} on {@link #THREADS} threads released at once. */
  private static void race(Runnable work) throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread thread = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        work.run();
      });
      thread.start();
      threads.add(thread);
    }
    go.countDown();
    for (Thread thread : threads) {
      thread.join();
    }
  }
}
