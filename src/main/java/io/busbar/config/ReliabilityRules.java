package io.busbar.config;

import java.util.Map;
import java.util.function.Function;

/** The keys of the {@code reliability} section (acknowledged delivery, dead letters, drain). */
final class ReliabilityRules {
  private ReliabilityRules() {
  }

  static void addTo(Map<String, Function<Object, String>> rules) {
    rules.put("reliability", v -> v instanceof io.vertx.core.json.JsonObject ? null : "must be an object");
    rules.put("reliability.attemptTimeoutMs", v -> intIn(v, 10, 600_000));
    rules.put("reliability.deliverTimeoutMs", v -> intIn(v, 1, 600_000));
    rules.put("reliability.maxDeliverTimeoutMs", v -> intIn(v, 1, 600_000));
    rules.put("reliability.maxRejections", v -> intIn(v, 1, 100));
    rules.put("reliability.noHandlersGraceMs", v -> intIn(v, 0, 60_000));
    rules.put("reliability.failoverAttemptTimeoutMs", v -> intIn(v, 10, 60_000));
    rules.put("reliability.failoverWindowMs", v -> intIn(v, 0, 600_000));
    rules.put("reliability.maxInFlight", v -> intIn(v, 1, 1_000_000));
    rules.put("reliability.retryAfterSeconds", v -> intIn(v, 1, 3600));
    rules.put("reliability.backupCount", v -> intIn(v, 1, 6));
    rules.put("reliability.consumer", v -> v instanceof io.vertx.core.json.JsonObject ? null : "must be an object");
    rules.put("reliability.consumer.maxInFlight", v -> intIn(v, 1, 1_000_000));
    rules.put("reliability.dedup", v -> v instanceof io.vertx.core.json.JsonObject ? null : "must be an object");
    rules.put("reliability.dedup.ttlSeconds", v -> intIn(v, 1, 30 * 24 * 3600));
    rules.put("reliability.dedup.leaseMs", v -> intIn(v, 100, 3_600_000));
    rules.put("reliability.deadLetters", v -> v instanceof io.vertx.core.json.JsonObject ? null : "must be an object");
    rules.put("reliability.deadLetters.maxPerAddress", v -> intIn(v, 1, 100_000));
    rules.put("reliability.drain", v -> v instanceof io.vertx.core.json.JsonObject ? null : "must be an object");
    // Below Main's 30 s stop timeout, so that a drain that runs out still leaves the cluster cleanly.
    rules.put("reliability.drain.timeoutMs", v -> intIn(v, 0, 25_000));
  }

  /** Checks between keys, once each key is known to be well-formed or missing. */
  static void crossCheck(io.vertx.core.json.JsonObject config, java.util.List<String> problems) {
    io.vertx.core.json.JsonObject r = config.getValue("reliability") instanceof io.vertx.core.json.JsonObject o ? o : new io.vertx.core.json.JsonObject();
    if (r.getValue("deliverTimeoutMs") instanceof Integer t && r.getValue("maxDeliverTimeoutMs") instanceof Integer m && t > m) {
      problems.add("reliability.deliverTimeoutMs: " + t + " is above reliability.maxDeliverTimeoutMs (" + m + ")");
    }
  }

  private static String intIn(Object v, int min, int max) {
    return v instanceof Integer i && i >= min && i <= max ? null : "must be a whole number from " + min + " to " + max;
  }
}
