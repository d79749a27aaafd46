package io.busbar;

import io.busbar.config.ConfigException;
import io.busbar.config.ConfigLoader;
import io.busbar.config.Setting;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;
import sun.misc.Signal;

import java.net.BindException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code java -jar busbar.jar}: parses flags, loads and validates the configuration, starts a node and
 * stops it cleanly on SIGTERM or SIGINT (leave the cluster, exit 0). Exit codes: 0 stopped cleanly,
 * 1 start-up failed (the node has left the cluster by then), 2 bad flags or configuration.
 */
public final class Main {
  public static final int EXIT_START_FAILED = 1;
  public static final int EXIT_BAD_CONFIG = 2;
  private static final long STOP_TIMEOUT_SECONDS = 30;
  /** Start, wait until ready, stop cleanly, exit 0: a smoke test, and the run that records a CDS archive. */
  static final String EXIT_WHEN_READY = "--exit-when-ready";

  private Main() {
  }

  public static void main(String[] args) {
    launch(args, new JsonObject());
  }

  /**
   * Entry point for a user's own fat jar that embeds Busbar: {@code appDefaults} (e.g. {@code roles},
   * {@code deploy}) replace the embedded defaults, and flags, environment and {@code --conf} still win.
   */
  public static void launch(String[] args, JsonObject appDefaults) {
    // Before any logger exists: route Vert.x and Hazelcast logging through SLF4J.
    System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.SLF4JLogDelegateFactory");
    System.setProperty("hazelcast.logging.type", "slf4j");
    int code = run(args, appDefaults);
    if (code >= 0) {
      System.exit(code);
    }
  }

  /** Returns an exit code, or -1 once the node is running (the signal handler exits later). */
  static int run(String[] args, JsonObject appDefaults) {
    CommandLine cli = new CommandLine(commandSpec());
    ParseResult parsed;
    try {
      parsed = cli.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println("busbar: " + e.getMessage());
      System.err.println("Try 'java -jar busbar.jar --help'.");
      return EXIT_BAD_CONFIG;
    }
    if (CommandLine.printHelpIfRequested(parsed)) {
      return 0;
    }
    boolean exitWhenReady = parsed.hasMatchedOption(EXIT_WHEN_READY);
    Map<String, String> flags = new LinkedHashMap<>();
    for (OptionSpec option : parsed.matchedOptions()) {
      if (!option.longestName().equals(EXIT_WHEN_READY)) {
        flags.put(option.longestName(), option.getValue());
      }
    }
    JsonObject config;
    try {
      config = ConfigLoader.load(flags, System.getenv(), appDefaults);
    } catch (ConfigException e) {
      System.err.println("busbar: " + e.getMessage());
      return EXIT_BAD_CONFIG;
    }
    Logger log = LoggerFactory.getLogger(Main.class);
    BusbarNode node;
    try {
      node = BusbarNode.start(config).toCompletionStage().toCompletableFuture().get();
    } catch (ExecutionException | InterruptedException e) {
      System.err.println("busbar: start-up failed: " + describe(e.getCause() == null ? e : e.getCause(), config));
      log.debug("start-up failure", e);
      return EXIT_START_FAILED;
    } catch (ConfigException e) {
      System.err.println("busbar: " + e.getMessage());
      return EXIT_BAD_CONFIG;
    }
    JsonObject gateway = config.getJsonObject("gateway");
    log.info("Busbar node {} ready: roles {}{}", node.nodeId(), config.getJsonArray("roles").encode(),
      config.getJsonArray("roles").contains("gateway")
        // The port bound, not the one asked for: with gateway.port 0 that is the only way to learn it.
        ? ", HTTP on http://" + gateway.getString("host") + ":" + NodeContext.of(node.vertx()).httpPort() : "");
    if (exitWhenReady) {
      return stop(node, log);
    }
    stopOnSignals(node, log);
    return -1;
  }

  /** Drains, undeploys and leaves the cluster; the exit code to end with. */
  private static int stop(BusbarNode node, Logger log) {
    try {
      node.drainAndClose().toCompletionStage().toCompletableFuture().get(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      log.info("stopped");
      return 0;
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      log.error("did not stop cleanly within {} s", STOP_TIMEOUT_SECONDS, e);
      return EXIT_START_FAILED;
    }
  }

  private static void stopOnSignals(BusbarNode node, Logger log) {
    CountDownLatch once = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        if (once.getCount() == 0) {
          return;
        }
        once.countDown();
        log.info("SIG{} received: draining, undeploying and leaving the cluster", name);
        System.exit(stop(node, log));
      });
    }
  }

  /** A start-up failure in words a user can act on; the stack trace goes to the debug log only. */
  static String describe(Throwable failure, JsonObject config) {
    if (failure instanceof BindException || String.valueOf(failure.getMessage()).contains("Address already in use")) {
      JsonObject gateway = config.getJsonObject("gateway");
      return "gateway.port (--http-port, BUSBAR_HTTP_PORT): " + gateway.getString("host") + ":"
        + gateway.getInteger("port") + " is already in use or cannot be bound; the node has left the cluster";
    }
    if (failure instanceof ClassNotFoundException || failure.getCause() instanceof ClassNotFoundException) {
      return "deploy (--deploy, BUSBAR_DEPLOY): class not found: " + failure.getMessage();
    }
    return failure.getClass().getSimpleName() + ": " + failure.getMessage() + "; the node has left the cluster";
  }

  static CommandSpec commandSpec() {
    CommandSpec spec = CommandSpec.create()
      .name("java -jar busbar.jar")
      .mixinStandardHelpOptions(true);
    spec.usageMessage().description(
      "Starts a Busbar node: clustered event bus, HTTP API and SockJS bridge.",
      "Precedence: flag > environment variable > --conf file > embedded conf/busbar.json.");
    spec.version("Busbar " + Main.class.getPackage().getImplementationVersion());
    spec.addOption(OptionSpec.builder(EXIT_WHEN_READY).arity("0")
      .description("start, wait until ready, then stop cleanly and exit 0 (a smoke test; with"
        + " -XX:ArchiveClassesAtExit it records a class-data-sharing archive, see the README)").build());
    spec.addOption(OptionSpec.builder(ConfigLoader.CONF_FLAG).paramLabel("FILE").type(String.class)
      .description("JSON configuration merged over the defaults (env " + ConfigLoader.CONF_ENV + ")").build());
    for (Setting s : Setting.values()) {
      spec.addOption(OptionSpec.builder(s.flag).paramLabel(s.kind == Setting.Kind.LIST ? "A,B,..." : s.kind == Setting.Kind.INT ? "N" : "VALUE")
        .type(String.class).description("sets " + s.key + " (env " + s.env + ")").build());
    }
    return spec;
  }
}
