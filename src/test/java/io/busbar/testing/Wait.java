package io.busbar.testing;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Bounded waits for tests: every wait has a deadline and fails with a message saying what it waited for. */
public final class Wait {
  /** Long enough for a loaded 2-core machine, short enough that a broken test fails quickly. */
  public static final Duration DEFAULT = Duration.ofSeconds(15);

  private Wait() {
  }

  /** Runs {@code work} on {@code context} (its event loop); the future has its result or what it threw. */
  public static <T> Future<T> on(Context context, Callable<T> work) {
    Promise<T> result = Promise.promise();
    context.runOnContext(v -> {
      try {
        result.complete(work.call());
      } catch (Throwable e) {
        result.fail(e);
      }
    });
    return result.future();
  }

  /** Blocks the test thread (never an event loop) until {@code future} completes, at most {@link #DEFAULT}. */
  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(DEFAULT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("future failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AssertionError("future not completed within " + DEFAULT);
    }
  }

  /** Polls {@code condition} until it holds; fails after {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    if (!within(timeout, condition)) {
      throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
    }
  }

  public static void until(String what, BooleanSupplier condition) {
    until(what, DEFAULT, condition);
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes; returns whether it held. */
  public static boolean within(Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }
}
