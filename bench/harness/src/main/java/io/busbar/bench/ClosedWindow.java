package io.busbar.bench;

import io.vertx.core.Promise;
import org.HdrHistogram.ConcurrentHistogram;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bookkeeping of one closed-loop run, whatever client drives it: a warm-up, then a measured window in
 * which answered requests count (2xx with their latency, anything else as an error); every answer counts
 * towards {@code all} (the server's CPU per request is over the whole run). Each loop or connection
 * reports {@link #stopped} once it sent its last request and got the answer.
 */
final class ClosedWindow {
  private final double measureS;
  private final long measureFrom;
  private final long end;
  private final ConcurrentHistogram hist = new ConcurrentHistogram(60_000_000L, 3);
  private final AtomicLong done = new AtomicLong();
  private final AtomicLong all = new AtomicLong();
  final AtomicLong errors = new AtomicLong();
  private final AtomicInteger running;
  final Promise<Void> finished = Promise.promise();

  ClosedWindow(double warmS, double measureS, int loops) {
    this.measureS = measureS;
    this.measureFrom = Clock.now() + (long) (warmS * 1e9);
    this.end = measureFrom + (long) (measureS * 1e9);
    this.running = new AtomicInteger(loops);
  }

  /** Whether a request sent at {@code now} still belongs to the run. */
  boolean open(long now) {
    return now < end;
  }

  /** One request sent at {@code t0} and answered at {@code t1} (or failed, {@code answered} false). */
  void record(long t0, long t1, boolean answered, boolean ok) {
    if (answered) {
      all.incrementAndGet();
    }
    if (t0 >= measureFrom && t1 <= end) {
      if (answered && ok) {
        done.incrementAndGet();
        hist.recordValue((t1 - t0) / 1000);
      } else {
        errors.incrementAndGet();
      }
    }
  }

  void stopped() {
    if (running.decrementAndGet() == 0) {
      finished.tryComplete();
    }
  }

  /** Waits out the warm-up, then the run, measuring this JVM's CPU over the window. */
  LoadGen.Closed await(double warmS) throws Exception {
    Thread.sleep((long) (warmS * 1000));
    double cpu0 = LoadGen.cpuSeconds();
    finished.future().toCompletionStage().toCompletableFuture().get((long) (warmS + measureS) + 60, TimeUnit.SECONDS);
    double cpu = (LoadGen.cpuSeconds() - cpu0) / measureS;
    return new LoadGen.Closed(done.get() / measureS, hist.getValueAtPercentile(50) / 1000.0,
      hist.getValueAtPercentile(99) / 1000.0, errors.get(), cpu, all.get());
  }
}
