package io.busbar.observe;

import io.busbar.testing.ForkedNode;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** A parsed Prometheus text exposition, for assertions: one sample per series line. */
record Scrape(List<Sample> samples) {
  private static final Pattern LABEL = Pattern.compile("(\\w+)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  record Sample(String name, Map<String, String> labels, double value) {
  }

  /** Scrapes {@code /metrics} of the node on {@code port}: answered 200 in Prometheus text, parsed. */
  static Scrape of(int port) {
    try {
      HttpResponse<String> response = ForkedNode.get(port, "/metrics");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
      return parse(response.body());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static Scrape parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      String series = line.substring(0, space);
      double value = Double.parseDouble(line.substring(space + 1));
      int brace = series.indexOf('{');
      Map<String, String> labels = new LinkedHashMap<>();
      if (brace >= 0) {
        Matcher m = LABEL.matcher(series.substring(brace));
        while (m.find()) {
          labels.put(m.group(1), m.group(2));
        }
      }
      samples.add(new Sample(brace < 0 ? series : series.substring(0, brace), labels, value));
    }
    return new Scrape(samples);
  }

  /** Sum of the samples of {@code name} whose labels include all of {@code labels} (k1, v1, k2, v2...). */
  double sum(String name, String... labels) {
    double total = 0;
    for (Sample s : samples) {
      if (s.name.equals(name) && matches(s, labels)) {
        total += s.value;
      }
    }
    return total;
  }

  boolean has(String name, String... labels) {
    return samples.stream().anyMatch(s -> s.name.equals(name) && matches(s, labels));
  }

  private static boolean matches(Sample s, String... labels) {
    for (int i = 0; i < labels.length; i += 2) {
      if (!labels[i + 1].equals(s.labels.get(labels[i]))) {
        return false;
      }
    }
    return true;
  }
}
