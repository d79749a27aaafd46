package io.busbar.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a merged configuration against the keys Busbar knows. Every problem names its key (and the
 * flag and variable that set it, where there are some), and all problems are reported at once so that
 * a user fixes them in one go. Unknown keys are errors: a typo must not silently fall back to a default.
 */
public final class ConfigValidator {
  public static final Set<String> ROLES = Set.of("producer", "consumer", "gateway");
  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern MEMBER = Pattern.compile("[^\\s:,]+(:\\d{1,5})?");

  /** Key to check; a check returns null when the value is fine, else what is wrong with it. */
  private static final Map<String, Function<Object, String>> RULES = new LinkedHashMap<>();

  static {
    RULES.put("roles", v -> stringList(v, s -> ROLES.contains(s) ? null : "unknown role '" + s + "' (known: producer, consumer, gateway)"));
    RULES.put("deploy", v -> stringList(v, s -> s.isBlank() ? "class names must not be empty" : null));
    RULES.put("cluster", ConfigValidator::object);
    RULES.put("cluster.name", v -> matches(v, CLUSTER_NAME, "1 to 64 letters, digits, '.', '_' or '-'"));
    RULES.put("cluster.host", ConfigValidator::nonEmptyString);
    RULES.put("cluster.port", v -> intIn(v, 1, 65535));
    RULES.put("cluster.portCount", v -> intIn(v, 1, 1000));
    RULES.put("cluster.publicHost", ConfigValidator::string);
    RULES.put("cluster.members", v -> {
      String e = stringList(v, ConfigValidator::member);
      return e != null ? e : ((JsonArray) v).isEmpty() ? "must list at least one member (host[:port])" : null;
    });
    RULES.put("cluster.eventBusPort", v -> intIn(v, 0, 65535));
    RULES.put("cluster.hazelcastConfig", ConfigValidator::string);
    RULES.put("cluster.minMembers", v -> intIn(v, 1, 1000));
    RULES.put("cluster.tls", ConfigValidator::object);
    RULES.put("cluster.tls.enabled", ConfigValidator::bool);
    RULES.put("cluster.tls.certPath", ConfigValidator::string);
    RULES.put("cluster.tls.keyPath", ConfigValidator::string);
    RULES.put("cluster.tls.trustPath", ConfigValidator::string);
    RULES.put("gateway", ConfigValidator::object);
    RULES.put("gateway.host", ConfigValidator::nonEmptyString);
    RULES.put("gateway.port", v -> intIn(v, 0, 65535));
    RULES.put("gateway.instances", v -> "auto".equals(v) ? null
      : intIn(v, 1, 256) == null ? null : "must be \"auto\" (one per core) or a whole number from 1 to 256");
    RULES.put("gateway.bodyLimit", v -> intIn(v, 1, 64 * 1024 * 1024));
    RULES.put("gateway.requestTimeoutMs", v -> intIn(v, 1, 600_000));
    RULES.put("gateway.maxRequestTimeoutMs", v -> intIn(v, 1, 600_000));
    RULES.put("gateway.inbound", ConfigValidator::permissions);
    RULES.put("gateway.outbound", ConfigValidator::permissions);
    RULES.put("gateway.sockjs", ConfigValidator::object);
    RULES.put("gateway.sockjs.path", v -> v instanceof String && ((String) v).matches("/[A-Za-z0-9/_-]*[A-Za-z0-9_-]")
      ? null : "must be a path such as /eventbus (no trailing slash)");
    RULES.put("gateway.sockjs.replyTimeoutMs", v -> intIn(v, 1, 600_000));
    RULES.put("gateway.sockjs.pingTimeoutMs", v -> intIn(v, 1_000, 600_000));
    RULES.put("gateway.sockjs.compression", ConfigValidator::bool);
    RULES.put("gateway.console", ConfigValidator::object);
    RULES.put("gateway.console.enabled", ConfigValidator::bool);
    RULES.put("metrics", ConfigValidator::object);
    RULES.put("metrics.enabled", ConfigValidator::bool);
    RULES.put("metrics.maxAddresses", v -> intIn(v, 1, 100_000));
    RULES.put("logging", ConfigValidator::object);
    RULES.put("logging.format", v -> v instanceof String s && (s.equals("text") || s.equals("json")) ? null : "must be \"text\" or \"json\"");
    RULES.put("logging.requests", ConfigValidator::bool);
    RULES.put("gateway.auth", ConfigValidator::object);
    RULES.put("gateway.auth.enabled", ConfigValidator::bool);
    RULES.put("gateway.auth.hs256Secrets", v -> stringList(v, s -> s.length() < 32 ? "an HS256 secret must be at least 32 characters" : null));
    RULES.put("gateway.auth.publicKeys", SecurityRules::publicKeys);
    RULES.put("gateway.auth.jwksFile", ConfigValidator::string);
    RULES.put("gateway.auth.issuer", ConfigValidator::string);
    RULES.put("gateway.auth.audience", v -> stringList(v, s -> s.isBlank() ? "audiences must not be empty" : null));
    RULES.put("gateway.auth.clockSkewSeconds", v -> intIn(v, 0, 600));
    RULES.put("gateway.auth.rolesClaim", ConfigValidator::nonEmptyString);
    RULES.put("gateway.auth.tokenQueryParam", ConfigValidator::nonEmptyString);
    RULES.put("gateway.auth.headerPrefix", v -> matches(v, SecurityRules.HEADER_PREFIX, "a lower-case header prefix such as busbar-"));
    RULES.put("gateway.auth.rules", SecurityRules::rules);
    RULES.put("gateway.limits", ConfigValidator::object);
    RULES.put("gateway.limits.maxAddressLength", v -> intIn(v, 16, 65_536));
    RULES.put("gateway.limits.maxMessageBytes", v -> intIn(v, 256, 64 * 1024 * 1024));
    RULES.put("gateway.limits.oversizeFramesBeforeClose", v -> intIn(v, 1, 1000));
    RULES.put("gateway.limits.maxConnectionsPerNode", v -> intIn(v, 1, 10_000_000));
    RULES.put("gateway.limits.maxConnectionsPerIp", v -> intIn(v, 1, 10_000_000));
    RULES.put("gateway.limits.maxSubscriptionsPerSocket", v -> intIn(v, 1, 1_000_000));
    RULES.put("gateway.limits.messagesPerSecondPerConnection", v -> intIn(v, 1, 10_000_000));
    RULES.put("gateway.limits.messagesPerSecondPerToken", v -> intIn(v, 1, 10_000_000));
    RULES.put("gateway.limits.outboundQueueBytes", v -> intIn(v, 1024, 1024 * 1024 * 1024));
    RULES.put("gateway.limits.slowClientGraceMs", v -> intIn(v, 100, 600_000));
    RULES.put("gateway.cors", ConfigValidator::object);
    RULES.put("gateway.cors.allowedOrigins", v -> stringList(v, SecurityRules::origin));
    RULES.put("gateway.cors.allowCredentials", ConfigValidator::bool);
    RULES.put("producer", ConfigValidator::object);
    RULES.put("producer.heartbeat", ConfigValidator::object);
    RULES.put("producer.heartbeat.enabled", ConfigValidator::bool);
    RULES.put("producer.heartbeat.intervalMs", v -> intIn(v, 100, 3_600_000));
    RULES.put("producer.demo", ConfigValidator::object);
    RULES.put("producer.demo.enabled", ConfigValidator::bool);
    RULES.put("producer.demo.address", ConfigValidator::nonEmptyString);
    RULES.put("producer.demo.ratePerSecond", v -> intIn(v, 1, 100_000));
    RULES.put("consumer", ConfigValidator::object);
    RULES.put("consumer.echo", ConfigValidator::object);
    RULES.put("consumer.echo.enabled", ConfigValidator::bool);
    RULES.put("consumer.eventLog", ConfigValidator::object);
    RULES.put("consumer.eventLog.enabled", ConfigValidator::bool);
    RULES.put("consumer.eventLog.addresses", v -> stringList(v, s -> s.isBlank() ? "addresses must not be empty" : null));
    RULES.put("consumer.eventLog.file", ConfigValidator::nonEmptyString);
    RULES.put("consumer.webhook", ConfigValidator::object);
    RULES.put("consumer.webhook.enabled", ConfigValidator::bool);
    RULES.put("consumer.webhook.claimTtlSeconds", v -> intIn(v, 1, 7 * 24 * 3600));
    RULES.put("consumer.webhook.endpoints", WebhookEndpoints::check);
    ReliabilityRules.addTo(RULES);
  }

  private ConfigValidator() {
  }

  /** @throws ConfigException listing every problem */
  public static void validate(JsonObject config) {
    List<String> problems = new ArrayList<>();
    walk(config, "", problems);
    for (String key : RULES.keySet()) {
      if (lookup(config, key) == null) {
        problems.add(key + label(key) + ": missing");
      }
    }
    int timeout = config.getJsonObject("gateway", new JsonObject()).getValue("requestTimeoutMs") instanceof Integer t ? t : 0;
    int max = config.getJsonObject("gateway", new JsonObject()).getValue("maxRequestTimeoutMs") instanceof Integer m ? m : Integer.MAX_VALUE;
    if (timeout > max) {
      problems.add("gateway.requestTimeoutMs: " + timeout + " is above gateway.maxRequestTimeoutMs (" + max + ")");
    }
    JsonObject webhook = config.getJsonObject("consumer", new JsonObject()).getValue("webhook") instanceof JsonObject w ? w : new JsonObject();
    if (Boolean.TRUE.equals(webhook.getValue("enabled")) && webhook.getValue("endpoints") instanceof JsonArray e && e.isEmpty()) {
      problems.add("consumer.webhook.endpoints: must list at least one endpoint when consumer.webhook.enabled is true");
    }
    ReliabilityRules.crossCheck(config, problems);
    SecurityRules.crossCheck(config, problems);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  private static void walk(JsonObject node, String prefix, List<String> problems) {
    for (Map.Entry<String, Object> e : node) {
      String key = prefix + e.getKey();
      Function<Object, String> rule = RULES.get(key);
      if (rule == null) {
        problems.add("unknown key '" + key + "'" + knownSiblings(prefix));
        continue;
      }
      String problem = rule.apply(e.getValue());
      if (problem != null) {
        problems.add(key + label(key) + ": " + problem + ", got " + shown(e.getValue()));
      } else if (e.getValue() instanceof JsonObject child) {
        walk(child, key + ".", problems);
      }
    }
  }

  private static Object lookup(JsonObject config, String key) {
    Object node = config;
    for (String part : key.split("\\.")) {
      if (!(node instanceof JsonObject)) {
        return null;
      }
      node = ((JsonObject) node).getValue(part);
    }
    return node;
  }

  private static String label(String key) {
    return Setting.sourcesOf(key).map(s -> " (" + s + ")").orElse("");
  }

  private static String knownSiblings(String prefix) {
    List<String> known = new ArrayList<>();
    for (String k : RULES.keySet()) {
      String rest = k.startsWith(prefix) ? k.substring(prefix.length()) : null;
      if (rest != null && !rest.contains(".")) {
        known.add(rest);
      }
    }
    return " (known " + (prefix.isEmpty() ? "top-level keys" : "keys under " + prefix.substring(0, prefix.length() - 1))
      + ": " + String.join(", ", known) + ")";
  }

  private static String shown(Object value) {
    String s = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  static String object(Object v) {
    return v instanceof JsonObject ? null : "must be an object";
  }

  static String bool(Object v) {
    return v instanceof Boolean ? null : "must be true or false";
  }

  static String string(Object v) {
    return v instanceof String ? null : "must be a string";
  }

  static String nonEmptyString(Object v) {
    return v instanceof String s && !s.isBlank() ? null : "must be a non-empty string";
  }

  static String matches(Object v, Pattern p, String what) {
    return v instanceof String s && p.matcher(s).matches() ? null : "must be " + what;
  }

  static String intIn(Object v, int min, int max) {
    if (v instanceof Integer i && i >= min && i <= max) {
      return null;
    }
    return "must be a whole number from " + min + " to " + max;
  }

  private static String member(String s) {
    if (!MEMBER.matcher(s).matches()) {
      return "member '" + s + "' is not host or host:port";
    }
    int colon = s.indexOf(':');
    if (colon > 0 && intIn(Integer.parseInt(s.substring(colon + 1)), 1, 65535) != null) {
      return "member '" + s + "' has a port outside 1-65535";
    }
    return null;
  }

  static String stringList(Object v, Function<String, String> each) {
    if (!(v instanceof JsonArray list)) {
      return "must be a list of strings";
    }
    for (Object item : list) {
      if (!(item instanceof String s)) {
        return "must be a list of strings";
      }
      String problem = each.apply(s);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  /** A permission is {"address": "exact"} or {"addressRegex": "regex"}, nothing else. */
  private static String permissions(Object v) {
    if (!(v instanceof JsonArray list)) {
      return "must be a list of {\"address\": ...} or {\"addressRegex\": ...} objects";
    }
    for (Object item : list) {
      if (!(item instanceof JsonObject p) || p.size() != 1
        || !(p.getValue("address") instanceof String || p.getValue("addressRegex") instanceof String)) {
        return "each entry must be exactly one of {\"address\": \"...\"} or {\"addressRegex\": \"...\"}";
      }
      String regex = p.getString("addressRegex");
      if (regex != null) {
        try {
          Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
          return "addressRegex '" + regex + "' is not a valid regular expression (" + e.getDescription() + ")";
        }
      }
    }
    return null;
  }
}
