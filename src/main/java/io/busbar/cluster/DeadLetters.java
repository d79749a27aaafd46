package io.busbar.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where events go that exhausted their attempts, whoever gave up on them (the deliver API, the
 * webhook forwarder). A dead letter is published on {@code busbar.dlq.<address>} and kept, bounded,
 * in the cluster so that it can be listed and re-driven over HTTP.
 *
 * <p>A dead letter is a JSON object: {@code id} (the event id), {@code address} (where the event was
 * going), {@code body}, {@code headers} (object of strings), {@code reason} (human text),
 * {@code attempts} (int), {@code source} ({@code "deliver"} or {@code "webhook"}) and
 * {@code failedAt} (ISO-8601 instant).
 *
 * <p>Storage: one Hazelcast map per address, {@code busbar.dlq.<address>}, keyed by event id (a
 * second failure of the same id replaces the first), with {@code reliability.backupCount} backups
 * (set up by {@link HazelcastConfigFactory}) and at most {@code reliability.deadLetters.maxPerAddress}
 * entries: beyond that the oldest are dropped. Map calls run on worker threads, never on an event loop.
 */
public final class DeadLetters {
  /** Prefix of the address a dead letter is published on: {@code busbar.dlq.<address>}. */
  public static final String ADDRESS_PREFIX = "busbar.dlq.";
  /** Prefix of the Hazelcast map that keeps the dead letters of an address. */
  public static final String MAP_PREFIX = "busbar.dlq.";

  private DeadLetters() {
  }

  /** Publishes and stores {@code deadLetter}; the future completes once it is stored. */
  public static Future<Void> record(Vertx vertx, JsonObject deadLetter) {
    String address = deadLetter.getString("address");
    int max = Reliability.of(vertx).settings.deadLettersMaxPerAddress();
    return vertx.<Void>executeBlocking(() -> {
      IMap<String, String> map = map(vertx, address);
      map.set(deadLetter.getString("id"), deadLetter.encode());
      if (map.size() > max) {
        List<JsonObject> all = sorted(map);
        for (JsonObject old : all.subList(0, Math.max(0, all.size() - max))) {
          map.delete(old.getString("id"));
        }
      }
      return null;
    }, false).onSuccess(v -> vertx.eventBus().publish(ADDRESS_PREFIX + address, deadLetter));
  }

  /** The dead letters of {@code address}, oldest first, at most {@code limit}. */
  public static Future<JsonArray> list(Vertx vertx, String address, int limit) {
    return vertx.executeBlocking(() -> {
      List<JsonObject> all = sorted(map(vertx, address));
      return new JsonArray(new ArrayList<>(all.subList(0, Math.min(limit, all.size()))));
    }, false);
  }

  /** Forgets one dead letter (it was re-driven successfully). */
  public static Future<Void> remove(Vertx vertx, String address, String id) {
    return vertx.executeBlocking(() -> {
      map(vertx, address).delete(id);
      return null;
    }, false);
  }

  private static List<JsonObject> sorted(IMap<String, String> map) {
    List<JsonObject> all = new ArrayList<>();
    map.values().forEach(v -> all.add(new JsonObject(v)));
    all.sort(Comparator.comparing((JsonObject j) -> j.getString("failedAt", "")).thenComparing(j -> j.getString("id", "")));
    return all;
  }

  private static IMap<String, String> map(Vertx vertx, String address) {
    HazelcastInstance hazelcast = NodeContext.of(vertx).hazelcast();
    return hazelcast.getMap(MAP_PREFIX + address);
  }
}
