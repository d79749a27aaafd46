package io.busbar.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Turns the run's JSON into the Markdown summary and an SVG chart of every ratio to its baseline (no plotting library). */
final class Report {
  private Report() {
  }

  static String markdown(JsonObject run, String chartFile) {
    StringBuilder md = new StringBuilder();
    md.append("# Busbar benchmark results\n\n");
    md.append("Run ").append(run.getString("date")).append(", mode **").append(run.getString("mode")).append("**, ")
      .append(run.getDouble("durationS").intValue()).append(" s. Machine: ").append(run.getString("machine")).append(".\n");
    md.append("Servers pinned to CPU ").append(run.getString("serverCores")).append(", the load generator to CPU ")
      .append(run.getString("loadCores")).append("; loopback only. Every figure is the median of the rounds (")
      .append("systems alternate round by round); ratios are Busbar / baseline.\n");
    if ("quick".equals(run.getString("mode"))) {
      md.append("**A validation run**: every scenario once, with short warm-ups, fewer subscribers and one round, so servers "
        + "are measured while their JIT still compiles. Its figures and Met column say that each scenario runs and "
        + "reports, not how the systems compare: for that, the full run (`bash bench/run.sh`).\n");
    }
    String jitter = jitter(run.getJsonObject("hostJitter"));
    if (jitter != null) {
      md.append(jitter);
    }
    md.append("\n");
    md.append("![ratios](").append(chartFile).append(")\n\n");
    md.append("| Scenario | Target | Met | Ratios (Busbar / baseline) |\n|---|---|---|---|\n");
    for (Object o : run.getJsonArray("scenarios")) {
      JsonObject s = (JsonObject) o;
      md.append("| ").append(s.getString("id")).append(" ").append(esc(s.getString("title", ""))).append(" | ")
        .append(esc(s.getString("target", ""))).append(" | ").append(s.containsKey("error") ? "error" : s.containsKey("met") ? (s.getBoolean("met") ? "yes" : "no") : "—")
        .append(" | ").append(esc(ratios(s))).append(" |\n");
    }
    for (Object o : run.getJsonArray("scenarios")) {
      JsonObject s = (JsonObject) o;
      md.append("\n## ").append(s.getString("id")).append(": ").append(esc(s.getString("title", ""))).append("\n\n");
      if (s.containsKey("error")) {
        md.append("**Failed:** ").append(esc(s.getString("error"))).append("\n");
        continue;
      }
      md.append(table(s.getJsonArray("rows"))).append("\n");
      md.append("Ratios: ").append(esc(ratios(s))).append(".\n\n");
      md.append("Bottleneck: ").append(esc(s.getString("bottleneck", "?"))).append(".\n");
      if (s.containsKey("profile")) {
        md.append("\nProfile: ").append(esc(s.getString("profile"))).append(".\n");
      }
    }
    return md.toString();
  }

  /**
   * The host's scheduling gaps (HostJitter) as one sentence, or null for a run from before they were
   * measured.
   */
  private static String jitter(JsonObject j) {
    if (j == null || j.isEmpty()) {
      return null;
    }
    StringBuilder out = new StringBuilder("Host noise (a thread spinning on each core, at the start and at the end of the run; ")
      .append("time away from it, gaps over 1 ms per second, longest gap):");
    for (String side : List.of("server", "load")) {
      List<String> parts = new ArrayList<>();
      for (String when : List.of("start", "end")) {
        JsonObject w = j.getJsonObject(when) == null ? null : j.getJsonObject(when).getJsonObject(side);
        if (w != null) {
          parts.add(String.format(Locale.ROOT, "%.2f%%, %.1f/s, %.1f ms", 100 * w.getDouble("lostShare", Double.NaN),
            w.getDouble("gapsOver1msPerS", Double.NaN), w.getDouble("maxGapMs", Double.NaN)));
        }
      }
      out.append(" ").append(side).append(" core ").append(parts.isEmpty() ? "not measured" : String.join(" then ", parts))
        .append(side.equals("server") ? ";" : ".\n");
    }
    return out.toString();
  }

  private static String ratios(JsonObject s) {
    JsonObject r = s.getJsonObject("ratios");
    if (r == null) {
      return s.getString("error", "");
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Object> e : r) {
      parts.add(e.getKey() + " " + fmt(e.getValue()) + "x");
    }
    return String.join(", ", parts);
  }

  private static String table(JsonArray rows) {
    Set<String> cols = new LinkedHashSet<>();
    for (Object o : rows) {
      for (String k : ((JsonObject) o).fieldNames()) {
        if (!k.equals("perRound")) {
          cols.add(k);
        }
      }
    }
    StringBuilder t = new StringBuilder("|");
    for (String c : cols) {
      t.append(" ").append(c).append(" |");
    }
    t.append("\n|");
    cols.forEach(c -> t.append("---|"));
    t.append("\n");
    for (Object o : rows) {
      JsonObject row = (JsonObject) o;
      t.append("|");
      for (String c : cols) {
        t.append(" ").append(esc(fmt(row.getValue(c)))).append(" |");
      }
      t.append("\n");
    }
    return t.toString();
  }

  static String fmt(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      if (Double.isNaN(d)) {
        return "n/a";
      }
      if (d == Math.rint(d) && Math.abs(d) < 1e15) {
        return String.format(Locale.ROOT, "%,d", (long) d);
      }
      return String.format(Locale.ROOT, Math.abs(d) >= 100 ? "%,.0f" : Math.abs(d) >= 1 ? "%.2f" : "%.3f", d);
    }
    return String.valueOf(v);
  }

  private static String esc(String s) {
    return s.replace("|", "\\|");
  }

  /** Lower is better for latency, start-up time and memory; higher for throughput. */
  private static boolean lowerIsBetter(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("p99") || k.contains("p50") || k.contains("heap") || k.contains("rss") || k.contains("ready") || k.contains("cpu");
  }

  static String svg(JsonObject run) {
    List<String> labels = new ArrayList<>();
    List<Double> values = new ArrayList<>();
    for (Object o : run.getJsonArray("scenarios")) {
      JsonObject s = (JsonObject) o;
      JsonObject r = s.getJsonObject("ratios");
      if (r == null) {
        continue;
      }
      for (Map.Entry<String, Object> e : r) {
        if (e.getValue() instanceof Number n && !Double.isNaN(n.doubleValue())) {
          labels.add(s.getString("id") + " " + e.getKey());
          values.add(n.doubleValue());
        }
      }
    }
    int rowH = 22;
    int left = 330;
    int plotW = 420;
    int top = 48;
    int height = top + rowH * labels.size() + 40;
    double max = 3.0;
    for (double v : values) {
      max = Math.max(max, Math.min(v, 10));
    }
    max = Math.ceil(max);
    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
      left + plotW + 80, height));
    svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.append(String.format(Locale.ROOT, "<text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Busbar / baseline, %s (%s mode)</text>%n",
      run.getString("date"), run.getString("mode")));
    svg.append("<text x=\"10\" y=\"38\" fill=\"#555\">green: Busbar at least as good as the baseline; orange: worse. Line: 1.0</text>\n");
    for (int i = 0; i <= max; i++) {
      double x = left + plotW * i / max;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>%n", x, top - 4, x,
        top + rowH * labels.size(), i == 1 ? "#000" : "#ddd"));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%dx</text>%n", x,
        top + rowH * labels.size() + 16, i));
    }
    for (int i = 0; i < labels.size(); i++) {
      double v = values.get(i);
      boolean good = lowerIsBetter(labels.get(i)) ? v <= 1.0 : v >= 1.0;
      double w = plotW * Math.min(v, max) / max;
      int y = top + rowH * i;
      svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n", left - 8, y + 14, xml(labels.get(i))));
      svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>%n", left, y + 3, w, rowH - 6,
        good ? "#3a9d5d" : "#e08a2c"));
      svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\">%s</text>%n", left + w + 4, y + 14, fmt(v) + "x"));
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static String xml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
