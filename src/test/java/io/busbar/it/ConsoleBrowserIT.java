package io.busbar.it;

import io.busbar.testing.Commands;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
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
 * The console in a real browser: two forked nodes form a cluster, and {@code src/test/browser/console.test.mjs}
 * drives headless Debian Chromium ({@code /usr/bin/chromium}) through {@code playwright-core} against node A's
 * console: both nodes listed, node B's demo events among the busiest addresses, an event published from the
 * form arrives in the live tail, a request is answered, a dropped connection is shown and comes back by itself. Screenshots go to
 * {@code target/console-screenshots/}. Without Chromium or Node.js the test is skipped, except on CI
 * (environment variable {@code CI} set), where that fails the build.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ConsoleBrowserIT {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final Duration NPM_CI = Duration.ofSeconds(180);
  private static final Duration BROWSER_TEST = Duration.ofSeconds(150);

  private final List<ForkedNode> nodes = new ArrayList<>();
  private final Commands commands = new Commands();

  @TempDir
  Path work;

  @AfterEach
  void stop() {
    commands.killRunning();
    ForkedNode.closeAll(nodes);
  }

  @Test
  void consoleShowsTheClusterAndTailsWhatItPublishes() throws Exception {
    String nodeBin = Commands.onPath("node");
    String npmBin = Commands.onPath("npm");
    if (nodeBin == null || npmBin == null || !Files.isExecutable(Path.of(CHROMIUM))) {
      String missing = "ConsoleBrowserIT needs Node.js 20 with npm and Debian's chromium at " + CHROMIUM
        + " (apt-get install nodejs npm chromium; .ci/run does this)";
      if (System.getenv("CI") != null) {
        fail(missing + "; CI is set, so this test fails instead of being skipped");
      }
      Assumptions.abort(missing);
    }
    Path js = Path.of(System.getProperty("busbar.basedir", ".")).toAbsolutePath().resolve("src/test/browser");
    Path logs = Path.of("target", "it-logs").toAbsolutePath();
    Path shots = Path.of("target", "console-screenshots").toAbsolutePath();
    Files.createDirectories(logs);
    Files.createDirectories(shots);

    if (Commands.needsNpmInstall(js)) {
      Path npmLog = logs.resolve("console-npm-ci.log");
      int code = commands.run(List.of(npmBin, "ci", "--no-audit", "--no-fund"), js, Map.of(), npmLog, NPM_CI);
      assertThat(code).as("npm ci in " + js + ", see " + npmLog).isEqualTo(0);
    }

    String cluster = Ports.clusterName();
    int clusterPort = Ports.freeRange(2);
    String members = "127.0.0.1:" + clusterPort + ",127.0.0.1:" + (clusterPort + 1);
    int[] httpPorts = {Ports.free(), Ports.free()};
    // Node A also logs JSON lines with one line per HTTP API request (checked at the end); node B runs the
    // demo producer, so that the busiest addresses show steady traffic from another node.
    Path confA = work.resolve("a.json");
    Files.writeString(confA, "{\"logging\": {\"format\": \"json\", \"requests\": true}}");
    Path confB = work.resolve("b.json");
    Files.writeString(confB, "{\"producer\": {\"demo\": {\"enabled\": true, \"ratePerSecond\": 5}}}");
    for (int i = 0; i < 2; i++) {
      Map<String, String> env = ForkedNode.clusterEnv(cluster, clusterPort + i, httpPorts[i], members);
      String[] args = {"--conf", (i == 0 ? confA : confB).toString()};
      nodes.add(ForkedNode.start("console-" + (char) ('a' + i), work.resolve("node-" + i), env, args));
      nodes.get(i).awaitReady(Duration.ofSeconds(90));
    }

    Path log = logs.resolve("console-browser.log");
    long started = System.nanoTime();
    int code = commands.run(List.of(nodeBin, "console.test.mjs"), js,
      Map.of("BUSBAR_URL", "http://127.0.0.1:" + httpPorts[0], "EXPECT_NODES", "2", "EXPECT_BUSY", "events.demo", "SCREENSHOT_DIR", shots.toString(),
        "CHROMIUM", CHROMIUM), log, BROWSER_TEST);
    String output = Files.readString(log);
    System.out.printf("console browser test took %d ms%n", (System.nanoTime() - started) / 1_000_000);
    assertThat(code).as("node console.test.mjs:\n" + output).isEqualTo(0);
    assertThat(output).contains("PASS");
    assertThat(shots.resolve("console.png")).exists().isNotEmptyFile();

    assertJsonLogs(nodes.get(0), httpPorts[0]);
  }

  /** Every line node A logged after start-up is one JSON object with its node id; an API request has its request id. */
  private static void assertJsonLogs(ForkedNode node, int httpPort) throws Exception {
    HttpResponse<String> published = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/publish/events.logged"))
      .timeout(Duration.ofSeconds(10)).header("content-type", "application/json").header("x-request-id", "console-it-42")
      .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(published.statusCode()).isEqualTo(202);
    assertThat(published.headers().firstValue("x-request-id")).contains("console-it-42");
    node.awaitLog("console-it-42", Duration.ofSeconds(10));
    List<JsonObject> lines = new ArrayList<>();
    for (String line : node.output().split("\n")) {
      if (line.startsWith("{")) {
        lines.add(new JsonObject(line));
      }
    }
    JsonObject ready = lines.stream().filter(l -> l.getString("message", "").contains("ready: roles")).findFirst().orElseThrow();
    assertThat(ready.getString("nodeId")).as("ready line " + ready).isNotBlank();
    JsonObject access = lines.stream().filter(l -> "console-it-42".equals(l.getString("requestId"))).findFirst().orElseThrow();
    assertThat(access.getString("nodeId")).isEqualTo(ready.getString("nodeId"));
    assertThat(access.getInteger("status")).isEqualTo(202);
    assertThat(access.getString("level")).isEqualTo("INFO");
  }
}
