package io.busbar.producer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Map;

/**
 * Turns running totals into rates per second between two ticks: the node's events in and out, and
 * per address, of which the {@code top} busiest are kept. Pure logic, so it is unit-tested alone.
 * The first tick has no previous one and reports zero rates.
 */
final class Rates {
  record Tick(double inPerSec, double outPerSec, JsonArray busiest) {
  }

  private final int top;
  private long lastMillis = -1;
  private long lastIn;
  private long lastOut;
  private Map<String, Double> lastByAddress = new HashMap<>();

  Rates(int top) {
    this.top = top;
  }

  Tick tick(long nowMillis, long in, long out, Map<String, Double> byAddress) {
    double seconds = lastMillis < 0 ? 0 : Math.max(1, nowMillis - lastMillis) / 1000.0;
    Tick tick;
    if (seconds == 0) {
      tick = new Tick(0, 0, new JsonArray());
    } else {
      JsonArray busiest = new JsonArray();
      Map<String, Double> previous = lastByAddress;
      byAddress.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), Math.max(0, e.getValue() - previous.getOrDefault(e.getKey(), 0.0)) / seconds))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
        .limit(top)
        .forEach(e -> busiest.add(new JsonObject().put("address", e.getKey()).put("perSec", round(e.getValue()))));
      tick = new Tick(round(Math.max(0, in - lastIn) / seconds), round(Math.max(0, out - lastOut) / seconds), busiest);
    }
    lastMillis = nowMillis;
    lastIn = in;
    lastOut = out;
    lastByAddress = new HashMap<>(byAddress);
    return tick;
  }

  private static double round(double value) {
    return Math.round(value * 100) / 100.0;
  }
}
