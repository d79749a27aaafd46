package io.busbar.bench;

import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.util.List;

/**
 * How much of the time a core was taken away from a thread that never sleeps: a spin loop reads the
 * clock and counts every gap between two reads over {@link #GAP_NS}. These machines are virtual, and
 * their own scheduling puts gaps of a millisecond or more on both cores (the same loop in C, 10 s: 1-3
 * gaps over 1 ms on one core spinning alone, 14-31 with the other core busy too). B2's tail and B3's single bursts take those gaps as they
 * come, so the run reports them beside the ratios. Usage: {@code HostJitter MILLIS} prints one JSON line.
 */
final class HostJitter {
  /** Shorter gaps are the loop itself, a clock read or an interrupt. */
  static final long GAP_NS = 50_000;
  private static final long WARM_NS = 500_000_000;

  private HostJitter() {
  }

  public static void main(String[] args) {
    System.out.println(spin(Long.parseLong(args[0])).encode());
  }

  /** Spins for {@code millis} on the calling thread's core and says what it lost. */
  static JsonObject spin(long millis) {
    // Uncounted first: the loop's own compilation shares the core in a JVM pinned to one.
    for (long warm = System.nanoTime() + WARM_NS; System.nanoTime() < warm; ) {
      Thread.onSpinWait();
    }
    long start = System.nanoTime();
    long end = start + millis * 1_000_000;
    long last = start;
    long over100us = 0;
    long over1ms = 0;
    long lostNs = 0;
    long maxNs = 0;
    for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
      long gap = now - last;
      last = now;
      if (gap > GAP_NS) {
        lostNs += gap;
        maxNs = Math.max(maxNs, gap);
        if (gap > 100_000) {
          over100us++;
        }
        if (gap > 1_000_000) {
          over1ms++;
        }
      }
    }
    double seconds = (last - start) / 1e9;
    return new JsonObject().put("seconds", Stats.round(seconds)).put("gapsOver100usPerS", Stats.round(over100us / seconds))
      .put("gapsOver1msPerS", Stats.round(over1ms / seconds)).put("maxGapMs", Stats.round(maxNs / 1e6))
      .put("lostShare", Stats.round(lostNs / 1e9 / seconds));
  }

  /**
   * Spins on a server core (a JVM pinned like the servers) and on this process's core (the load
   * generator's) at the same time, as a scenario uses them. Null figures for a side that failed.
   */
  static JsonObject measure(Env env, String name, long millis) {
    JsonObject result = new JsonObject();
    try {
      Proc server = Proc.start(env, name, List.of("java", "-cp", env.benchJar.toString(), HostJitter.class.getName(),
        String.valueOf(millis)));
      result.put("load", spin(millis));
      server.process.waitFor();
      List<String> lines = Files.readAllLines(env.logs.resolve(name + ".log"));
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).startsWith("{")) {
          result.put("server", new JsonObject(lines.get(i)));
          break;
        }
      }
    } catch (Exception e) {
      Scenarios.log("host jitter %s not measured: %s", name, e);
    }
    return result;
  }
}
