package io.busbar.config;

import io.busbar.gateway.security.AccessPolicy;
import io.busbar.gateway.security.Action;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Checks of the security keys ({@code gateway.auth}, {@code gateway.cors}, {@code cluster.tls}) for {@link ConfigValidator}. */
final class SecurityRules {
  static final Pattern HEADER_PREFIX = Pattern.compile("[a-z0-9][a-z0-9-]{0,30}-");
  private static final Pattern ORIGIN = Pattern.compile("https?://[A-Za-z0-9.-]+(:\\d{1,5})?|\\*");
  private static final Set<String> KEY_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512");

  private SecurityRules() {
  }

  static String origin(String s) {
    return ORIGIN.matcher(s).matches() ? null : "origin '" + s + "' must be scheme://host[:port] (no path, no trailing slash) or *";
  }

  static String publicKeys(Object v) {
    if (!(v instanceof JsonArray list)) {
      return "must be a list of {\"algorithm\": \"RS256\", \"pem\": \"-----BEGIN PUBLIC KEY-----...\"} (or \"pemFile\")";
    }
    for (Object item : list) {
      if (!(item instanceof JsonObject k) || !(k.getValue("algorithm") instanceof String alg) || !KEY_ALGORITHMS.contains(alg)) {
        return "each key needs an algorithm, one of " + String.join(", ", KEY_ALGORITHMS.stream().sorted().toList());
      }
      boolean pem = k.getValue("pem") instanceof String p && p.contains("PUBLIC KEY");
      boolean file = k.getValue("pemFile") instanceof String f && !f.isBlank();
      if (pem == file || !Set.of("algorithm", "pem", "pemFile").containsAll(k.fieldNames())) {
        return "each key needs exactly one of pem (a PEM public key) or pemFile, besides algorithm";
      }
    }
    return null;
  }

  static String rules(Object v) {
    if (!(v instanceof JsonArray list)) {
      return "must be a list of {\"who\", \"actions\", and one of address / addressRegex / addressTemplate}";
    }
    for (Object item : list) {
      if (!(item instanceof JsonObject r)) {
        return "each rule must be an object";
      }
      if (!(r.getValue("who") instanceof String who) || AccessPolicy.whoProblem(who) != null) {
        return "each rule's who must be public, authenticated, role:NAME or claim:NAME=VALUE";
      }
      if (!(r.getValue("actions") instanceof JsonArray actions) || actions.isEmpty()
        || actions.stream().anyMatch(a -> !(a instanceof String s) || Action.parse(s) == null)) {
        return "each rule's actions must be a non-empty list of publish, send, request, subscribe, deliver, admin";
      }
      List<String> targets = r.fieldNames().stream().filter(f -> !f.equals("who") && !f.equals("actions")).toList();
      if (targets.size() != 1 || !Set.of("address", "addressRegex", "addressTemplate").contains(targets.get(0))
        || !(r.getValue(targets.get(0)) instanceof String target) || target.isEmpty()) {
        return "each rule needs exactly one of address, addressRegex or addressTemplate besides who and actions";
      }
      if (targets.get(0).equals("addressRegex")) {
        try {
          Pattern.compile(target);
        } catch (PatternSyntaxException e) {
          return "addressRegex '" + target + "' is not a valid regular expression (" + e.getDescription() + ")";
        }
      }
      if (targets.get(0).equals("addressTemplate") && AccessPolicy.placeholders(target).isEmpty()) {
        return "addressTemplate '" + target + "' has no {claim} placeholder; use address instead";
      }
      if (r.getString("who").equals("public") && targets.get(0).equals("addressTemplate")) {
        return "a public rule cannot use an addressTemplate (anonymous callers have no claims)";
      }
    }
    return null;
  }

  /** Checks that need several keys at once. */
  static void crossCheck(JsonObject config, List<String> problems) {
    JsonObject tls = config.getJsonObject("cluster", new JsonObject()).getValue("tls") instanceof JsonObject t ? t : null;
    if (tls != null && Boolean.TRUE.equals(tls.getValue("enabled"))) {
      for (String key : new String[] {"certPath", "keyPath", "trustPath"}) {
        if (!(tls.getValue(key) instanceof String path) || path.isBlank()) {
          problems.add("cluster.tls." + key + ": must name a PEM file when cluster.tls.enabled is true");
        } else if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(path))) {
          problems.add("cluster.tls." + key + ": cannot read '" + path + "'");
        }
      }
    }
    JsonObject auth = config.getJsonObject("gateway", new JsonObject()).getValue("auth") instanceof JsonObject a ? a : null;
    if (auth == null || !Boolean.TRUE.equals(auth.getValue("enabled"))) {
      return;
    }
    boolean keys = auth.getValue("hs256Secrets") instanceof JsonArray s && !s.isEmpty()
      || auth.getValue("publicKeys") instanceof JsonArray p && !p.isEmpty()
      || auth.getValue("jwksFile") instanceof String f && !f.isBlank();
    if (!keys) {
      problems.add("gateway.auth.enabled: true needs at least one of gateway.auth.hs256Secrets, publicKeys or jwksFile");
    }
  }
}
