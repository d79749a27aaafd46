package io.busbar.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * External programs a test runs (npm, node): found on the PATH, run to completion with a deadline,
 * and killed with their children by {@link #killRunning()} if the test ends first.
 */
public final class Commands {
  private Process running;

  /** The program's path on the PATH, or null if it is not installed. */
  public static String onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return null;
  }

  /** npm ci only when node_modules is missing or older than the lock file (npm keeps its own copy in it). */
  public static boolean needsNpmInstall(Path project) throws Exception {
    Path installed = project.resolve("node_modules").resolve(".package-lock.json");
    return !Files.exists(installed)
      || Files.getLastModifiedTime(installed).compareTo(Files.getLastModifiedTime(project.resolve("package-lock.json"))) < 0;
  }

  /** Runs a command to completion within {@code timeout}, output to {@code log}; returns its exit code. */
  public int run(List<String> command, Path dir, Map<String, String> env, Path log, Duration timeout) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    running = pb.start();
    if (!running.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      fail(String.join(" ", command) + " still running after " + timeout + ":\n" + Files.readString(log));
    }
    return running.exitValue();
  }

  /** Kills the command still running, and its children; for @AfterEach. */
  public void killRunning() {
    if (running != null && running.isAlive()) {
      running.descendants().forEach(ProcessHandle::destroyForcibly);
      running.destroyForcibly();
    }
  }
}
