package io.busbar.gateway;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * One direction of address permissions ({@code gateway.inbound} or {@code gateway.outbound}): exact
 * addresses and regexes that must match the whole address, as the Vert.x bridge matches them. The
 * HTTP API checks inbound with {@link #allows}; the SockJS bridge gets the same rules through
 * {@link #bridgeOptions}, so both sides always agree.
 */
public final class Permissions {
  private final Set<String> exact = new HashSet<>();
  private final List<Pattern> patterns = new ArrayList<>();
  private final List<PermittedOptions> bridgeOptions = new ArrayList<>();
  /**
   * Regex verdicts by address: most traffic goes to a few addresses, and a regex match allocates a
   * matcher (with its group arrays) on every call. Shared by the gateway's event loops.
   */
  private final Map<String, Boolean> matched = new ConcurrentHashMap<>();
  private static final int MAX_REMEMBERED = 1024;

  public Permissions(JsonArray rules) {
    for (Object rule : rules) {
      JsonObject r = (JsonObject) rule;
      String address = r.getString("address");
      if (address != null) {
        exact.add(address);
        bridgeOptions.add(new PermittedOptions().setAddress(address));
      } else {
        String regex = r.getString("addressRegex");
        patterns.add(Pattern.compile(regex));
        bridgeOptions.add(new PermittedOptions().setAddressRegex(regex));
      }
    }
  }

  public boolean allows(String address) {
    if (exact.contains(address)) {
      return true;
    }
    if (patterns.isEmpty()) {
      return false;
    }
    Boolean known = matched.get(address);
    if (known != null) {
      return known;
    }
    boolean allowed = false;
    for (Pattern p : patterns) {
      if (p.matcher(address).matches()) {
        allowed = true;
        break;
      }
    }
    // Bounded: addresses are caller-chosen, so a flood of distinct ones must not grow this without limit.
    if (matched.size() >= MAX_REMEMBERED) {
      matched.clear();
    }
    matched.put(address, allowed);
    return allowed;
  }

  public List<PermittedOptions> bridgeOptions() {
    return List.copyOf(bridgeOptions);
  }
}
