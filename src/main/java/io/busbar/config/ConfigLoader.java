package io.busbar.config;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Builds a node's configuration: embedded {@code conf/busbar.json} defaults, then the {@code --conf}
 * file, then environment variables, then flags (each later source wins), then validation.
 * It runs before Vert.x exists, so it reads files directly.
 */
public final class ConfigLoader {
  /** The documented defaults, copied from {@code conf/busbar.json} into the jar at build time. */
  public static final String DEFAULTS_RESOURCE = "conf/busbar.json";
  public static final String CONF_FLAG = "--conf";
  public static final String CONF_ENV = "BUSBAR_CONF";

  private ConfigLoader() {
  }

  /**
   * @param flags flag name (as in {@link Setting#flag}, plus {@code --conf}) to its text, only flags given
   * @param env the process environment
   * @throws ConfigException naming each bad key
   */
  public static JsonObject load(Map<String, String> flags, Map<String, String> env) {
    return load(flags, env, new JsonObject());
  }

  /**
   * Same, with an application's own defaults merged over the embedded ones (and under everything else):
   * how a user's fat jar that embeds Busbar sets, say, its roles and the verticles it deploys.
   */
  public static JsonObject load(Map<String, String> flags, Map<String, String> env, JsonObject appDefaults) {
    JsonObject config = defaults().mergeIn(appDefaults.copy(), true);
    String confFile = flags.getOrDefault(CONF_FLAG, env.get(CONF_ENV));
    if (confFile != null && !confFile.isBlank()) {
      config.mergeIn(readFile(Path.of(confFile)), true);
    }
    for (Setting s : Setting.values()) {
      String text = flags.containsKey(s.flag) ? flags.get(s.flag) : env.get(s.env);
      if (text != null) {
        put(config, s.key, s.parse(text));
      }
    }
    ConfigValidator.validate(config);
    return config;
  }

  public static JsonObject defaults() {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(DEFAULTS_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(DEFAULTS_RESOURCE + " is missing from the classpath: broken build");
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + DEFAULTS_RESOURCE, e);
    }
  }

  static JsonObject readFile(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("conf file " + file + " (--conf, BUSBAR_CONF) does not exist");
    } catch (IOException e) {
      throw new ConfigException("conf file " + file + " (--conf, BUSBAR_CONF) cannot be read");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      throw new ConfigException("conf file " + file + " (--conf, BUSBAR_CONF) is not a JSON object: " + firstLine(e.getMessage()));
    }
  }

  /** Sets a dotted key, creating the objects on the way. */
  static void put(JsonObject config, String dottedKey, Object value) {
    String[] parts = dottedKey.split("\\.");
    JsonObject node = config;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = node.getValue(parts[i]);
      if (!(child instanceof JsonObject)) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = (JsonObject) child;
    }
    node.put(parts[parts.length - 1], value);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "unreadable";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
