package io.busbar.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rounds of one system in one configuration: each round a JSON object of figures; the row holds their medians. */
final class Stats {
  private final Map<String, List<JsonObject>> rounds = new LinkedHashMap<>();

  void add(String system, JsonObject round) {
    rounds.computeIfAbsent(system, k -> new ArrayList<>()).add(round);
  }

  /** {@code {"system": ..., "rounds": n, key: median, ...}} for one system; every numeric key is a median. */
  JsonObject median(String system) {
    List<JsonObject> rs = rounds.getOrDefault(system, List.of());
    JsonObject row = new JsonObject().put("system", system).put("rounds", rs.size());
    if (rs.isEmpty()) {
      return row;
    }
    for (String key : rs.get(0).fieldNames()) {
      Object v = rs.get(0).getValue(key);
      if (v instanceof Number) {
        List<Double> xs = new ArrayList<>();
        for (JsonObject r : rs) {
          if (r.getValue(key) instanceof Number n) {
            xs.add(n.doubleValue());
          }
        }
        row.put(key, round(median(xs)));
      } else {
        row.put(key, v);
      }
    }
    JsonArray raw = new JsonArray();
    rs.forEach(raw::add);
    row.put("perRound", raw);
    return row;
  }

  static double median(List<Double> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static double percentile(List<Double> xs, double p) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
    return s.get(Math.max(0, Math.min(s.size() - 1, i)));
  }

  static double round(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return v;
    }
    double scale = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 100 : 10000;
    return Math.round(v * scale) / scale;
  }

  static double ratio(double a, double b) {
    return b == 0 || Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : round(a / b);
  }
}
