package io.busbar.it;

import io.busbar.testing.Commands;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs {@code src/test/js/bridge-client.test.mjs} (the official {@code @vertx/eventbus-bridge-client.js}
 * in Node.js) against a forked node with every role. Without Node.js it is skipped, except on CI
 * (environment variable {@code CI} set), where a missing Node.js must fail the build, not hide the test.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NodeClientIT {
  private static final Duration NPM_CI = Duration.ofSeconds(180);
  private static final Duration NODE_TEST = Duration.ofSeconds(90);

  private ForkedNode node;
  private final Commands commands = new Commands();

  @TempDir
  Path work;

  @AfterEach
  void stop() {
    commands.killRunning();
    if (node != null) {
      node.close();
    }
  }

  @Test
  void officialBridgeClientWorksAgainstANode() throws Exception {
    String nodeBin = Commands.onPath("node");
    String npmBin = Commands.onPath("npm");
    if (nodeBin == null || npmBin == null) {
      String missing = "NodeClientIT needs Node.js 20 and npm on the PATH: install Node.js 20 (e.g. apt-get install nodejs npm)";
      if (System.getenv("CI") != null) {
        fail(missing + "; CI is set, so this test fails instead of being skipped");
      }
      Assumptions.abort(missing);
    }
    Path js = Path.of(System.getProperty("busbar.basedir", ".")).toAbsolutePath().resolve("src/test/js");
    Path logs = Path.of("target", "it-logs").toAbsolutePath();
    Files.createDirectories(logs);

    if (Commands.needsNpmInstall(js)) {
      int code = commands.run(List.of(npmBin, "ci", "--no-audit", "--no-fund"), js, Map.of(), logs.resolve("node-client-npm-ci.log"), NPM_CI);
      assertThat(code).as("npm ci in " + js + ", see " + logs.resolve("node-client-npm-ci.log")).isEqualTo(0);
    }

    int clusterPort = Ports.freeRange(1);
    int httpPort = Ports.free();
    node = ForkedNode.start("node-client-busbar", work.resolve("node"),
      ForkedNode.clusterEnv(Ports.clusterName(), clusterPort, httpPort, "127.0.0.1:" + clusterPort))
      .awaitReady(Duration.ofSeconds(60));

    Path log = logs.resolve("node-client.log");
    int code = commands.run(List.of(nodeBin, "--test", "bridge-client.test.mjs"), js,
      Map.of("BUSBAR_URL", "http://127.0.0.1:" + httpPort), log, NODE_TEST);
    assertThat(code).as("node --test bridge-client.test.mjs:\n" + Files.readString(log)).isEqualTo(0);
  }
}
