package io.busbar.gateway.security;

import java.util.Locale;

/**
 * What a caller wants to do with an address. HTTP and SockJS ask the same {@link AccessPolicy} about
 * these. {@link #DELIVER} is a reliable send and is granted exactly like {@link #SEND}; {@link #ADMIN}
 * guards operator endpoints (dead-letter queues and the like) and is only ever granted by an explicit rule.
 */
public enum Action {
  PUBLISH, SEND, REQUEST, SUBSCRIBE, DELIVER, ADMIN;

  /** The action whose grants decide this one (DELIVER is decided as SEND). */
  Action grantedAs() {
    return this == DELIVER ? SEND : this;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a configuration name ({@code "publish"}...); null if unknown. */
  public static Action parse(String name) {
    for (Action a : values()) {
      if (a.label().equals(name)) {
        return a;
      }
    }
    return null;
  }
}
