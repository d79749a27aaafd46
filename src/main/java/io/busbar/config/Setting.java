package io.busbar.config;

import java.util.List;
import java.util.Optional;

/**
 * The configuration keys that can also be set from the command line and the environment.
 * One table, so that the flags, the variables, the error messages and the README agree.
 */
public enum Setting {
  ROLES("roles", "--roles", "BUSBAR_ROLES", Kind.LIST),
  DEPLOY("deploy", "--deploy", "BUSBAR_DEPLOY", Kind.LIST),
  HTTP_HOST("gateway.host", "--http-host", "BUSBAR_HTTP_HOST", Kind.STRING),
  HTTP_PORT("gateway.port", "--http-port", "BUSBAR_HTTP_PORT", Kind.INT),
  GATEWAY_INSTANCES("gateway.instances", "--gateway-instances", "BUSBAR_GATEWAY_INSTANCES", Kind.INT),
  CLUSTER_NAME("cluster.name", "--cluster-name", "BUSBAR_CLUSTER_NAME", Kind.STRING),
  CLUSTER_HOST("cluster.host", "--cluster-host", "BUSBAR_CLUSTER_HOST", Kind.STRING),
  CLUSTER_PORT("cluster.port", "--cluster-port", "BUSBAR_CLUSTER_PORT", Kind.INT),
  CLUSTER_PUBLIC_HOST("cluster.publicHost", "--cluster-public-host", "BUSBAR_CLUSTER_PUBLIC_HOST", Kind.STRING),
  MEMBERS("cluster.members", "--members", "BUSBAR_MEMBERS", Kind.LIST),
  LOG_FORMAT("logging.format", "--log-format", "BUSBAR_LOG_FORMAT", Kind.STRING);

  /** How a flag or variable's text becomes a JSON value. */
  public enum Kind { STRING, INT, LIST }

  public final String key;
  public final String flag;
  public final String env;
  public final Kind kind;

  Setting(String key, String flag, String env, Kind kind) {
    this.key = key;
    this.flag = flag;
    this.env = env;
    this.kind = kind;
  }

  /** The flag and variable that also set {@code key}, for error messages; empty if there are none. */
  public static Optional<String> sourcesOf(String key) {
    for (Setting s : values()) {
      if (s.key.equals(key)) {
        return Optional.of(s.flag + ", " + s.env);
      }
    }
    return Optional.empty();
  }

  /** Text to JSON value. Text that does not parse is kept as text so that validation names the key. */
  Object parse(String text) {
    String t = text.trim();
    switch (kind) {
      case INT:
        try {
          return Integer.parseInt(t);
        } catch (NumberFormatException e) {
          return t;
        }
      case LIST:
        if (t.isEmpty() || t.equals("none")) {
          return new io.vertx.core.json.JsonArray();
        }
        return new io.vertx.core.json.JsonArray(List.of(t.split("\\s*,\\s*")));
      default:
        return t;
    }
  }
}
