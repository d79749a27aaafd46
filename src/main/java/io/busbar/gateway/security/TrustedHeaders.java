package io.busbar.gateway.security;

import io.vertx.core.MultiMap;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Headers consumers can rely on. Whatever a client sends under the reserved prefix
 * ({@code gateway.auth.headerPrefix}, {@code busbar-} by default), over HTTP or in SockJS frame headers,
 * is removed, and so is a SockJS {@code authorization} header (a token never travels on the bus). The
 * gateway then adds the caller's verified identity: {@code <prefix>auth-sub} (the token's subject) and
 * {@code <prefix>auth-roles} (its roles, sorted, comma-separated). Anonymous callers get neither.
 */
public final class TrustedHeaders {
  private final String prefix;
  public final String subject;
  public final String roles;

  public TrustedHeaders(String prefix) {
    this.prefix = prefix.toLowerCase(Locale.ROOT);
    this.subject = this.prefix + "auth-sub";
    this.roles = this.prefix + "auth-roles";
  }

  /**
   * Compared ignoring case without lower-casing a copy (this runs for every header of every event). It
   * matches at least what lower-casing would: also names whose non-ASCII letters fold to the prefix.
   */
  public boolean reserved(String name) {
    return name.regionMatches(true, 0, prefix, 0, prefix.length()) || name.equalsIgnoreCase("authorization");
  }

  /** Removes reserved headers in place, then adds the identity's. */
  public <V> void apply(Map<String, V> headers, Identity identity, java.util.function.Function<String, V> value) {
    for (Iterator<String> it = headers.keySet().iterator(); it.hasNext(); ) {
      if (reserved(it.next())) {
        it.remove();
      }
    }
    if (!identity.anonymous()) {
      headers.put(subject, value.apply(identity.subject()));
      headers.put(roles, value.apply(identity.rolesHeader()));
    }
  }

  /** The same for an event's bus headers. */
  public void apply(MultiMap headers, Identity identity) {
    List<String> reserved = new ArrayList<>(0);
    // Not names(): it builds a sorted set for every event, and an event over HTTP rarely has any to remove.
    headers.forEach((name, value) -> {
      if (reserved(name)) {
        reserved.add(name);
      }
    });
    reserved.forEach(headers::remove);
    if (!identity.anonymous()) {
      headers.set(subject, identity.subject());
      headers.set(roles, identity.rolesHeader());
    }
  }
}
