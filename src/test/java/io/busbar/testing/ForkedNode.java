package io.busbar.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Busbar node in its own JVM, started from the built fat jar ({@code target/busbar.jar}, passed by
 * Failsafe as the {@code busbar.jar} system property) exactly as a user starts it. Output goes to
 * {@code target/it-logs/<name>.log}. Always stop or kill it in a finally block or @AfterEach.
 */
public final class ForkedNode implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  public final String name;
  public final Path log;
  private final Process process;

  private ForkedNode(String name, Path log, Process process) {
    this.name = name;
    this.log = log;
    this.process = process;
  }

  /** The fat jar under test. */
  public static Path jar() {
    String jar = System.getProperty("busbar.jar", "target/busbar.jar");
    Path path = Path.of(jar).toAbsolutePath();
    if (!Files.exists(path)) {
      throw new IllegalStateException(path + " is missing: run the tests with 'mvn verify'");
    }
    return path;
  }

  /** Starts {@code java -jar busbar.jar args} in {@code workDir}, with {@code env} added; does not wait. */
  public static ForkedNode start(String name, Path workDir, Map<String, String> env, String... args) throws IOException {
    return startJar(name, jar(), workDir, env, args);
  }

  /** Same, with JVM flags before {@code -jar} (a class-data-sharing archive, say). */
  public static ForkedNode startWithJvmFlags(String name, Path workDir, Map<String, String> env, List<String> jvmFlags,
                                             String... args) throws IOException {
    return startJar(name, jar(), workDir, env, jvmFlags, args);
  }

  /** Same, for another fat jar (a user's project that embeds Busbar). */
  public static ForkedNode startJar(String name, Path jar, Path workDir, Map<String, String> env, String... args) throws IOException {
    return startJar(name, jar, workDir, env, List.of(), args);
  }

  private static ForkedNode startJar(String name, Path jar, Path workDir, Map<String, String> env, List<String> jvmFlags,
                                     String... args) throws IOException {
    Path logDir = Path.of("target", "it-logs").toAbsolutePath();
    Files.createDirectories(logDir);
    Files.createDirectories(workDir);
    Path log = logDir.resolve(name + ".log");
    List<String> command = new ArrayList<>(List.of(javaBin(), "-Xmx256m", "-XX:+UseSerialGC",
      // A node killed with SIGKILL cannot remove its Vert.x file cache: keep those under target/, not in /tmp.
      "-Dvertx.cacheDirBase=" + logDir.resolve("vertx-cache")));
    command.addAll(jvmFlags);
    command.addAll(List.of("-jar", jar.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
      .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("BUSBAR_"));
    pb.environment().putAll(env);
    return new ForkedNode(name, log, pb.start());
  }

  /** Common flags for a node of a test cluster: loopback, its own ports, the test's members. */
  public static Map<String, String> clusterEnv(String clusterName, int clusterPort, int httpPort, String members) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("BUSBAR_CLUSTER_NAME", clusterName);
    env.put("BUSBAR_CLUSTER_PORT", String.valueOf(clusterPort));
    env.put("BUSBAR_HTTP_PORT", String.valueOf(httpPort));
    env.put("BUSBAR_MEMBERS", members);
    return env;
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits until the log shows the node is ready (every role deployed), or fails with the log. */
  public ForkedNode awaitReady(Duration timeout) throws Exception {
    awaitLog("ready: roles", timeout);
    return this;
  }

  /** Waits for {@code text} to appear in the node's output. */
  public void awaitLog(String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (output().contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError(name + " exited with " + process.exitValue() + " before '" + text + "':\n" + output());
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + " did not log '" + text + "' within " + timeout + ":\n" + output());
  }

  /** Waits for the process to end by itself and returns its exit code. */
  public int awaitExit(Duration timeout) throws Exception {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError(name + " still running after " + timeout + ":\n" + output());
    }
    return process.exitValue();
  }

  /** SIGTERM, then waits for the exit code. */
  public int stop(Duration timeout) throws Exception {
    process.destroy();
    return awaitExit(timeout);
  }

  public String output() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /** GET on this node's HTTP port; returns status and body. */
  public static HttpResponse<String> get(int httpPort, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
      .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** POST JSON on this node's HTTP port. */
  public static HttpResponse<String> postJson(int httpPort, String path, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
      .timeout(Duration.ofSeconds(10)).header("content-type", "application/json")
      .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Kills the nodes still running, last started first, as a cluster is taken down. */
  public static void closeAll(List<ForkedNode> nodes) {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close();
    }
  }

  /** Kills the process if it is still running (SIGKILL); safe to call twice. */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
