package io.busbar.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Checks {@code consumer.webhook.endpoints}: a list of objects, each with a {@code url} and
 * {@code addresses}, and optional tuning whose defaults the README lists. A problem names the
 * endpoint by its position and field, e.g. {@code endpoint 2 (orders): maxAttempts must be ...}.
 */
final class WebhookEndpoints {
  private static final Map<String, Function<Object, String>> FIELDS = Map.of(
    "name", v -> v instanceof String s && !s.isBlank() ? null : "must be a non-empty string",
    "url", WebhookEndpoints::url,
    "addresses", v -> v instanceof JsonArray a && !a.isEmpty() && a.stream().allMatch(s -> s instanceof String t && !t.isBlank())
      ? null : "must be a non-empty list of addresses",
    "maxAttempts", v -> ConfigValidator.intIn(v, 1, 1000),
    "initialBackoffMs", v -> ConfigValidator.intIn(v, 1, 3_600_000),
    "maxBackoffMs", v -> ConfigValidator.intIn(v, 1, 3_600_000),
    "timeoutMs", v -> ConfigValidator.intIn(v, 1, 600_000),
    "maxConcurrency", v -> ConfigValidator.intIn(v, 1, 1000),
    "queueLimit", v -> ConfigValidator.intIn(v, 1, 10_000_000),
    "headers", v -> v instanceof JsonObject h && h.stream().allMatch(e -> e.getValue() instanceof String)
      ? null : "must be an object of header names to strings");

  private WebhookEndpoints() {
  }

  static String check(Object value) {
    if (!(value instanceof JsonArray list)) {
      return "must be a list of endpoint objects";
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof JsonObject endpoint)) {
        return "endpoint " + i + " must be an object with url and addresses";
      }
      String label = "endpoint " + i + (endpoint.getValue("name") instanceof String n ? " (" + n + ")" : "");
      for (String required : new String[] {"url", "addresses"}) {
        if (!endpoint.containsKey(required)) {
          return label + ": " + required + " is missing";
        }
      }
      for (Map.Entry<String, Object> field : endpoint) {
        Function<Object, String> rule = FIELDS.get(field.getKey());
        if (rule == null) {
          return label + ": unknown field '" + field.getKey() + "' (known: " + String.join(", ", FIELDS.keySet().stream().sorted().toList()) + ")";
        }
        String problem = rule.apply(field.getValue());
        if (problem != null) {
          return label + ": " + field.getKey() + " " + problem;
        }
      }
      if (endpoint.getInteger("initialBackoffMs", 500) > endpoint.getInteger("maxBackoffMs", 30_000)) {
        return label + ": initialBackoffMs is above maxBackoffMs";
      }
      if (!names.add(endpoint.getString("name", endpoint.getString("url")))) {
        return label + ": two endpoints have the same name (or url); give each a distinct name";
      }
    }
    return null;
  }

  private static String url(Object v) {
    if (v instanceof String s) {
      try {
        URI uri = new URI(s);
        if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
          return null;
        }
      } catch (java.net.URISyntaxException ignored) {
        // answered below
      }
    }
    return "must be an absolute http:// or https:// URL";
  }
}
