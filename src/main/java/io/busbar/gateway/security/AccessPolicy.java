package io.busbar.gateway.security;

import io.busbar.gateway.Permissions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one permission model of the gateway, asked by the HTTP API and the SockJS bridge alike through
 * {@link #check}. It is a list of grants; a grant gives some {@link Action}s on some addresses to some
 * callers. Nothing is allowed unless a grant says so.
 * <ul>
 *   <li>{@code gateway.inbound} grants publish, send and request, {@code gateway.outbound} grants
 *   subscribe: to everyone (anonymous included) while {@code gateway.auth.enabled} is false, to any
 *   caller with a valid token once it is true.</li>
 *   <li>{@code gateway.auth.rules}: {@code {"who": "public"|"authenticated"|"role:R"|"claim:C=V",
 *   "actions": [...], "address"|"addressRegex"|"addressTemplate": "..."}}. A template such as
 *   {@code user.{sub}.inbox} is filled with the caller's claims and then compared exactly; a claim used
 *   in a template must be letters, digits, {@code _ - @} (no dots), else the rule does not apply.</li>
 * </ul>
 * Pure logic: no Vert.x, unit-tested on its own.
 */
public final class AccessPolicy {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_]+)}");
  private static final Pattern SAFE_CLAIM = Pattern.compile("[A-Za-z0-9_@-]{1,128}");

  private final List<Grant> grants = new ArrayList<>();
  private final boolean authEnabled;
  private final int maxAddressLength;

  /** @param gateway the validated {@code gateway} section */
  public AccessPolicy(JsonObject gateway) {
    JsonObject auth = gateway.getJsonObject("auth");
    this.authEnabled = auth.getBoolean("enabled");
    this.maxAddressLength = gateway.getJsonObject("limits").getInteger("maxAddressLength");
    String who = authEnabled ? "authenticated" : "public";
    Permissions inbound = new Permissions(gateway.getJsonArray("inbound"));
    Permissions outbound = new Permissions(gateway.getJsonArray("outbound"));
    grants.add(new Grant(who, EnumSet.of(Action.PUBLISH, Action.SEND, Action.REQUEST), (address, id) -> inbound.allows(address)));
    grants.add(new Grant(who, EnumSet.of(Action.SUBSCRIBE), (address, id) -> outbound.allows(address)));
    for (Object r : auth.getJsonArray("rules")) {
      JsonObject rule = (JsonObject) r;
      EnumSet<Action> actions = EnumSet.noneOf(Action.class);
      for (Object a : rule.getJsonArray("actions")) {
        actions.add(Action.parse((String) a));
      }
      grants.add(new Grant(rule.getString("who"), actions, matcher(rule)));
    }
  }

  public int maxAddressLength() {
    return maxAddressLength;
  }

  public boolean authEnabled() {
    return authEnabled;
  }

  /** May {@code identity} do {@code action} on {@code address}? */
  public Decision check(Identity identity, Action action, String address) {
    if (address == null || address.isEmpty()) {
      return Decision.ADDRESS_INVALID;
    }
    if (address.length() > maxAddressLength) {
      return Decision.ADDRESS_TOO_LONG;
    }
    for (int i = 0; i < address.length(); i++) {
      char c = address.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return Decision.ADDRESS_INVALID;
      }
    }
    Action asked = action.grantedAs();
    for (Grant g : grants) {
      if (g.actions.contains(asked) && g.appliesTo(identity) && g.matcher.matches(address, identity)) {
        return Decision.ALLOWED;
      }
    }
    return identity.anonymous() && authEnabled ? Decision.UNAUTHENTICATED : Decision.FORBIDDEN;
  }

  private static AddressMatcher matcher(JsonObject rule) {
    String exact = rule.getString("address");
    if (exact != null) {
      return (address, id) -> exact.equals(address);
    }
    String regex = rule.getString("addressRegex");
    if (regex != null) {
      Pattern p = Pattern.compile(regex);
      return (address, id) -> p.matcher(address).matches();
    }
    String template = rule.getString("addressTemplate");
    return (address, id) -> {
      String filled = fill(template, id);
      return filled != null && filled.equals(address);
    };
  }

  /** The template with the caller's claims in place, or null when a claim is missing or unsafe. */
  static String fill(String template, Identity identity) {
    if (identity.anonymous()) {
      return null;
    }
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = identity.claimText(m.group(1));
      if (value == null || !SAFE_CLAIM.matcher(value).matches()) {
        return null;
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Checks one {@code who} value; null when fine, else what is wrong (used by the config validator). */
  public static String whoProblem(String who) {
    if (who.equals("public") || who.equals("authenticated")) {
      return null;
    }
    if (who.startsWith("role:") && who.length() > 5) {
      return null;
    }
    if (who.startsWith("claim:") && who.indexOf('=') > 6) {
      return null;
    }
    return "who must be public, authenticated, role:NAME or claim:NAME=VALUE";
  }

  /** Every placeholder in a template, for validation. */
  public static List<String> placeholders(String template) {
    List<String> names = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(template);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  @FunctionalInterface
  private interface AddressMatcher {
    boolean matches(String address, Identity identity);
  }

  private record Grant(String who, Set<Action> actions, AddressMatcher matcher) {
    boolean appliesTo(Identity id) {
      if (who.equals("public")) {
        return true;
      }
      if (id.anonymous()) {
        return false;
      }
      if (who.equals("authenticated")) {
        return true;
      }
      if (who.startsWith("role:")) {
        return id.roles().contains(who.substring(5));
      }
      int eq = who.indexOf('=');
      return who.substring(eq + 1).equals(id.claimText(who.substring(6, eq)));
    }
  }

}
