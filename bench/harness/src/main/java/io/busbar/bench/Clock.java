package io.busbar.bench;

/** One monotonic clock for publishers and receivers in the load generator's JVM, positive nanoseconds. */
final class Clock {
  private static final long BASE = System.nanoTime() - 1;

  private Clock() {
  }

  static long now() {
    return System.nanoTime() - BASE;
  }
}
