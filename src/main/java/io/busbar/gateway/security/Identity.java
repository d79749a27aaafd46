package io.busbar.gateway.security;

import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * Who is calling: an anonymous caller, or the subject of a verified JWT with its roles and claims.
 * {@code expiresAtMillis} is the token's {@code exp} (0 for anonymous).
 */
public record Identity(String subject, Set<String> roles, JsonObject claims, long expiresAtMillis) {
  public static final Identity ANONYMOUS = new Identity(null, Set.of(), new JsonObject(), 0);

  public boolean anonymous() {
    return subject == null;
  }

  /** A claim as text for address templates: strings and whole numbers only, else null. */
  public String claimText(String name) {
    Object v = claims.getValue(name);
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Integer || v instanceof Long) {
      return v.toString();
    }
    return null;
  }

  /** Roles as one header value: sorted, comma-separated. */
  public String rolesHeader() {
    return String.join(",", List.copyOf(new java.util.TreeSet<>(roles)));
  }
}
