package io.busbar.cluster;

import io.vertx.core.json.JsonObject;

/**
 * The {@code reliability} section of the configuration, read once. Defaults here are the same as in
 * {@code conf/busbar.json}, so that a node started from a configuration without the section (an
 * embedding test, say) behaves as documented.
 */
public record ReliabilitySettings(
  long attemptTimeoutMs,
  long deliverTimeoutMs,
  long maxDeliverTimeoutMs,
  int maxRejections,
  long noHandlersGraceMs,
  long failoverAttemptTimeoutMs,
  long failoverWindowMs,
  int maxInFlight,
  int retryAfterSeconds,
  int consumerMaxInFlight,
  int dedupTtlSeconds,
  long leaseMs,
  int backupCount,
  int deadLettersMaxPerAddress,
  long drainTimeoutMs) {

  public static ReliabilitySettings from(JsonObject reliability) {
    JsonObject r = reliability == null ? new JsonObject() : reliability;
    JsonObject dedup = r.getJsonObject("dedup", new JsonObject());
    JsonObject consumer = r.getJsonObject("consumer", new JsonObject());
    JsonObject dead = r.getJsonObject("deadLetters", new JsonObject());
    JsonObject drain = r.getJsonObject("drain", new JsonObject());
    return new ReliabilitySettings(
      r.getInteger("attemptTimeoutMs", 2000),
      r.getInteger("deliverTimeoutMs", 10000),
      r.getInteger("maxDeliverTimeoutMs", 60000),
      r.getInteger("maxRejections", 3),
      r.getInteger("noHandlersGraceMs", 500),
      r.getInteger("failoverAttemptTimeoutMs", 300),
      r.getInteger("failoverWindowMs", 3000),
      r.getInteger("maxInFlight", 2000),
      r.getInteger("retryAfterSeconds", 1),
      consumer.getInteger("maxInFlight", 1000),
      dedup.getInteger("ttlSeconds", 3600),
      dedup.getInteger("leaseMs", 30000),
      r.getInteger("backupCount", 1),
      dead.getInteger("maxPerAddress", 1000),
      drain.getInteger("timeoutMs", 20000));
  }
}
