package io.busbar.it;

import io.busbar.testing.ForkedNode;
import io.busbar.testing.Ports;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The user's path end to end: install the plain jar of this build into the build's local Maven
 * repository, build {@code examples/order-audit} against it as a user would, then run its fat jar as a
 * second node next to a Busbar gateway on a random cluster. Orders published over HTTP on the gateway
 * must land in the example's audit file with the id the gateway returned, and the example's
 * request-reply address, opened for HTTP by the example's {@code conf/gateway.json}, must answer.
 */
class ExampleVerticleIT {
  private static final Path BASEDIR = Path.of(System.getProperty("busbar.basedir", ".")).toAbsolutePath();
  private static final Path EXAMPLE = BASEDIR.resolve("examples/order-audit");
  private static final Path LOGS = BASEDIR.resolve("target/it-logs");
  private static final String PLAIN_JAR = "target/busbar-0.1.0-SNAPSHOT.jar";
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(4);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(40);
  // Subscriptions take a moment to reach the other node; these bound how long we wait for them.
  private static final Duration PROPAGATION_TIMEOUT = Duration.ofSeconds(30);

  @Test
  void userVerticleAuditsOrdersPublishedOnTheGatewayAndAnswersRequests(@TempDir Path work) throws Exception {
    String mvn = mavenOnPath();
    String repo = System.getProperty("busbar.repo.local", Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    maven(mvn, "example-install", "-B", "-q", "install:install-file", "-Dfile=" + PLAIN_JAR, "-DpomFile=pom.xml",
      "-Dmaven.repo.local=" + repo);
    maven(mvn, "example-build", "-B", "-q", "-f", EXAMPLE.resolve("pom.xml").toString(), "package", "-Dmaven.repo.local=" + repo);
    Path exampleJar = EXAMPLE.resolve("target/order-audit.jar");
    assertThat(exampleJar).exists();

    String cluster = Ports.clusterName();
    int basePort = Ports.freeRange(2);
    String members = "127.0.0.1:" + basePort + ",127.0.0.1:" + (basePort + 1);
    int httpPort = Ports.free();
    Path auditFile = work.resolve("audit/orders.ndjson");
    Map<String, String> exampleEnv = ForkedNode.clusterEnv(cluster, basePort + 1, Ports.free(), members);
    exampleEnv.put("ORDER_AUDIT_FILE", auditFile.toString());

    try (ForkedNode gateway = ForkedNode.start("example-gateway", work.resolve("gateway"),
           ForkedNode.clusterEnv(cluster, basePort, httpPort, members),
           "--roles", "gateway", "--conf", EXAMPLE.resolve("conf/gateway.json").toString());
         ForkedNode example = startExampleAfter(gateway, exampleJar, work.resolve("example"), exampleEnv)) {
      example.awaitReady(START_TIMEOUT);

      assertThat(awaitCount(httpPort)).as("orders audited before any was published").isZero();

      List<String> publishedIds = new ArrayList<>();
      List<JsonObject> lines = publishUntilAudited(httpPort, auditFile, publishedIds);
      assertThat(lines).isNotEmpty().allSatisfy(line -> {
        assertThat(publishedIds).as("ids returned by 202 responses").contains(line.getString("id"));
        assertThat(line.getJsonObject("body")).isEqualTo(new JsonObject().put("orderId", "o-1").put("amount", 42));
      });

      HttpResponse<String> counted = ForkedNode.postJson(httpPort, "/api/request/audit.count?timeout=5000", "{}");
      assertThat(counted.statusCode()).as(counted.body()).isEqualTo(200);
      // Read after the reply: every counted write has finished by then, and nothing else is in flight.
      assertThat(new JsonObject(counted.body()).getLong("count")).isEqualTo(readLines(auditFile).size());

      assertThat(example.stop(STOP_TIMEOUT)).as("example exit code:\n" + example.output()).isZero();
      assertThat(gateway.stop(STOP_TIMEOUT)).as("gateway exit code:\n" + gateway.output()).isZero();
    }
  }

  /** The gateway must be ready first: the example joins the cluster the gateway founded. */
  private static ForkedNode startExampleAfter(ForkedNode gateway, Path jar, Path workDir, Map<String, String> env) throws Exception {
    gateway.awaitReady(START_TIMEOUT);
    return ForkedNode.startJar("example-order-audit", jar, workDir, env);
  }

  /** Asks audit.count until the gateway knows a handler for it (503 no_handlers before that). */
  private static long awaitCount(int httpPort) throws Exception {
    long deadline = System.nanoTime() + PROPAGATION_TIMEOUT.toNanos();
    HttpResponse<String> last = null;
    while (System.nanoTime() < deadline) {
      last = ForkedNode.postJson(httpPort, "/api/request/audit.count?timeout=2000", "{}");
      if (last.statusCode() == 200) {
        return new JsonObject(last.body()).getLong("count");
      }
      Thread.sleep(200);
    }
    return fail("audit.count not answered within " + PROPAGATION_TIMEOUT + "; last answer: "
      + (last == null ? "none" : last.statusCode() + " " + last.body()));
  }

  /**
   * Publishes an order until the audit file has a line: a publish before the example's subscription
   * has reached the gateway's node is dropped (publish has no "no handlers" error), so it is retried.
   */
  private static List<JsonObject> publishUntilAudited(int httpPort, Path auditFile, List<String> ids) throws Exception {
    long deadline = System.nanoTime() + PROPAGATION_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      HttpResponse<String> published = ForkedNode.postJson(httpPort, "/api/publish/events.orders", "{\"orderId\":\"o-1\",\"amount\":42}");
      assertThat(published.statusCode()).as(published.body()).isEqualTo(202);
      ids.add(new JsonObject(published.body()).getString("id"));
      for (int i = 0; i < 20; i++) {
        List<JsonObject> lines = readLines(auditFile);
        if (!lines.isEmpty()) {
          return lines;
        }
        Thread.sleep(100);
      }
    }
    return fail("no audit line in " + auditFile + " within " + PROPAGATION_TIMEOUT + " after publishing " + ids);
  }

  private static List<JsonObject> readLines(Path file) throws IOException {
    List<JsonObject> lines = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file)) {
        // The last line may be half written; the caller polls again.
        if (line.endsWith("}")) {
          lines.add(new JsonObject(line));
        }
      }
    }
    return lines;
  }

  /** {@code mvn} from PATH; without one the test is skipped, except on CI where that is a broken machine. */
  private static String mavenOnPath() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, "mvn");
      if (!dir.isEmpty() && Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    if (System.getenv("CI") != null) {
      fail("no mvn on PATH, and CI is set: the example build must run on CI");
    }
    Assumptions.abort("no mvn on PATH: skipping the build of examples/order-audit");
    return null;
  }

  /** Runs Maven in the repo root with its output in target/it-logs/{name}.log; fails with that log. */
  private static void maven(String mvn, String name, String... args) throws Exception {
    Files.createDirectories(LOGS);
    Path log = LOGS.resolve(name + ".log");
    List<String> command = new ArrayList<>(List.of(mvn));
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).directory(BASEDIR.toFile())
      .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      if (!process.waitFor(BUILD_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        fail(String.join(" ", command) + " still running after " + BUILD_TIMEOUT + ":\n" + Files.readString(log));
      }
      assertThat(process.exitValue()).as(String.join(" ", command) + " failed:\n" + Files.readString(log)).isZero();
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
