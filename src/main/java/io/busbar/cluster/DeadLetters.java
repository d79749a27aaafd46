package io.busbar.cluster;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Where events go that exhausted their attempts, whoever gave up on them (the deliver API, the
 * webhook forwarder). A dead letter is published on {@code busbar.dlq.<address>} and kept, bounded,
 * in the cluster so that it can be listed and re-driven over HTTP.
 *
 * <p>A dead letter is a JSON object: {@code id} (the event id), {@code address} (where the event was
 * going), {@code body}, {@code headers} (object of strings), {@code reason} (human text),
 * {@code attempts} (int), {@code source} ({@code "deliver"} or {@code "webhook"}) and
 * {@code failedAt} (ISO-8601 instant).
 */
public final class DeadLetters {
  /** Prefix of the address a dead letter is published on: {@code busbar.dlq.<address>}. */
  public static final String ADDRESS_PREFIX = "busbar.dlq.";

  private DeadLetters() {
  }

  /** Publishes and stores {@code deadLetter}; the future completes once it is stored. */
  public static Future<Void> record(Vertx vertx, JsonObject deadLetter) {
    // Contract only: the reliability work replaces this with the cluster-wide store.
    vertx.eventBus().publish(ADDRESS_PREFIX + deadLetter.getString("address"), deadLetter);
    return Future.succeededFuture();
  }
}
