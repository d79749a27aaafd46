package io.busbar.bench;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One server process of a scenario (a Busbar node, a baseline, a peer), pinned with {@code taskset} to
 * the server core, its output in {@code bench/target/logs/NAME.log}. Reads its CPU time and RSS from
 * {@code /proc}, and its heap after a full GC with diagnostic commands ({@link Jcmd}; JVMs only).
 */
final class Proc implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
    .connectTimeout(Duration.ofSeconds(2)).build();
  private static final Pattern HEAP_USED = Pattern.compile("used (\\d+)K");
  private static final long TICKS_PER_SECOND = 100;

  final String name;
  final Process process;
  final long startedNanos;

  private Proc(String name, Process process, long startedNanos) {
    this.name = name;
    this.process = process;
    this.startedNanos = startedNanos;
  }

  /** Every online CPU ("0-1"), whatever this process is pinned to; null if unknown. */
  static String allCores() {
    try {
      return Files.readString(Path.of("/sys/devices/system/cpu/online")).trim();
    } catch (IOException e) {
      return null;
    }
  }

  static Proc start(Env env, String name, List<String> command) throws IOException {
    List<String> full = new ArrayList<>();
    // Unpinned still needs taskset: a child inherits this JVM's affinity (run.sh pins it to the load
    // cores), so without it an "unpinned" server would start on the load generator's one core.
    String cores = env.serverCores != null ? env.serverCores : allCores();
    if (cores != null) {
      full.addAll(List.of("taskset", "-c", cores));
    }
    full.addAll(command);
    Files.createDirectories(env.logs);
    Files.createDirectories(env.work);
    File log = env.logs.resolve(name + ".log").toFile();
    ProcessBuilder pb = new ProcessBuilder(full).directory(env.work.toFile()).redirectErrorStream(true)
      .redirectOutput(ProcessBuilder.Redirect.appendTo(log));
    long t0 = System.nanoTime();
    Proc p = new Proc(name, pb.start(), t0);
    env.track(p);
    return p;
  }

  /** Polls {@code url} every 10 ms until it answers 200 and {@code body} accepts the text; returns ms since start. */
  double awaitHttp(String url, Predicate<String> body, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + " before it was ready (see bench/target/logs/" + name + ".log)");
      }
      try {
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200 && body.test(r.body())) {
          return (System.nanoTime() - startedNanos) / 1e6;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(10);
    }
    throw new IllegalStateException(name + " not ready at " + url + " within " + timeoutMs + " ms");
  }

  double awaitHttp(String url, long timeoutMs) throws Exception {
    return awaitHttp(url, b -> true, timeoutMs);
  }

  /** Waits until something accepts TCP connections on the port (for nats-server). */
  void awaitPort(int port, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return;
      } catch (IOException notYet) {
        Thread.sleep(10);
      }
    }
    throw new IllegalStateException(name + " not listening on " + port + " within " + timeoutMs + " ms");
  }

  long pid() {
    return process.pid();
  }

  /** Write system calls the process made so far ({@code syscw} of {@code /proc/PID/io}), or -1. */
  long writeCalls() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/io"))) {
        if (line.startsWith("syscw:")) {
          return Long.parseLong(line.substring("syscw:".length()).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // reported as unknown
    }
    return -1;
  }

  /** User + system CPU seconds of the process so far. */
  double cpuSeconds() {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * CPU nanoseconds so far of the process's JIT compiler threads and of all its threads, from each
   * thread's {@code /proc/PID/task/TID/schedstat} (nanoseconds, where {@code stat} counts 10 ms ticks):
   * {@code {jit, all}}, or null if unreadable. For a JVM; other processes have no compiler threads.
   */
  long[] jitAndAllCpuNanos() {
    long jit = 0;
    long all = 0;
    File[] tasks = new File("/proc/" + pid() + "/task").listFiles();
    if (tasks == null) {
      return null;
    }
    for (File task : tasks) {
      try {
        long ns = Long.parseLong(Files.readString(task.toPath().resolve("schedstat")).split(" ")[0]);
        all += ns;
        // HotSpot names them "C1 CompilerThread0", "C2 CompilerThread1" (comm keeps 15 characters).
        if (Files.readString(task.toPath().resolve("comm")).contains("CompilerThre")) {
          jit += ns;
        }
      } catch (IOException | RuntimeException e) {
        // a thread that ended meanwhile
      }
    }
    return new long[] {jit, all};
  }

  /**
   * The JIT compiler threads' share of the process's CPU between two {@link #jitAndAllCpuNanos} readings:
   * NaN if either is unknown or the process used no CPU.
   */
  static double jitShare(long[] before, long[] after) {
    return before == null || after == null || after[1] == before[1] ? Double.NaN
      : (after[0] - before[0]) / (double) (after[1] - before[1]);
  }

  /** Whether a {@link #jitShare} leaves the compiler quiet: under 5%, or unknown (no such threads to wait for). */
  static boolean jitQuiet(double share) {
    return !(share >= 0.05);
  }

  /**
   * Waits until the process's JIT compiler threads have been quiet (under 5% of a core over 100 ms),
   * at most {@code maxMs}; returns the milliseconds waited. Immediate for a process without them.
   */
  long awaitJitQuiet(long maxMs) throws InterruptedException {
    long start = System.nanoTime();
    long[] before = jitAndAllCpuNanos();
    while (before != null && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(maxMs)) {
      Thread.sleep(100);
      long[] now = jitAndAllCpuNanos();
      if (now == null || now[0] - before[0] < TimeUnit.MILLISECONDS.toNanos(5)) {
        break;
      }
      before = now;
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  /** Resident set size in KiB. */
  long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      // gone
    }
    return -1;
  }

  /** Java heap in use after a full GC, KiB (runs {@code jcmd PID GC.run} then {@code GC.heap_info}). */
  long heapAfterGcKb() throws Exception {
    jcmd("GC.run");
    Thread.sleep(300);
    jcmd("GC.run");
    String info = jcmd("GC.heap_info");
    Matcher m = HEAP_USED.matcher(info);
    if (!m.find()) {
      throw new IllegalStateException("cannot read heap of " + name + ": " + info);
    }
    return Long.parseLong(m.group(1));
  }

  String jcmd(String command) throws Exception {
    String attached = Jcmd.run(pid(), command);
    if (attached != null) {
      return attached;
    }
    Process p = new ProcessBuilder("jcmd", String.valueOf(pid()), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jcmd " + command + " failed for " + name + ": " + out);
    }
    return out;
  }

  /** Waits for the process to end by itself; its exit code, or -1 (and it is killed) after {@code timeoutMs}. */
  int awaitExit(long timeoutMs) throws InterruptedException {
    if (!process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      return -1;
    }
    return process.exitValue();
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
