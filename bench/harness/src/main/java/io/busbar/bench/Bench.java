package io.busbar.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs the scenarios and writes {@code bench/results/<date>.json}, {@code .md}, {@code .svg} and
 * {@code latest.md}/{@code latest.svg}. This JVM is the load generator (pinned by run.sh); servers are
 * child processes pinned to the server core. A scenario that fails is recorded as failed and the run
 * goes on. Usage: {@code Bench BENCH_DIR [--quick] [--only B1,B3] [--server-cores 0] [--load-cores 1]
 * [--nats-server PATH] [--busbar-flag -XX:...] [--busbar-arg --gateway-instances --busbar-arg 2] [--compare-jar OTHER_BUSBAR.jar] [--rounds N] [--b1-instances N] [--b3-subs 5000,...] [--b3-burst N] [--b3-raw]}.
 */
public final class Bench {
  private Bench() {
  }

  public static void main(String[] args) throws Exception {
    Path benchDir = Path.of(args[0]).toAbsolutePath();
    if (args.length == 3 && args[1].equals("--report")) {
      // Rewrites <date>.md/.svg and latest.* from an existing <date>.json (after a change to the report's format).
      Path json = Path.of(args[2]);
      writeReports(benchDir.resolve("results"), new JsonObject(Files.readString(json)));
      return;
    }
    boolean quick = false;
    List<String> only = new ArrayList<>();
    String serverCores = "0";
    String loadCores = "1";
    String nats = "nats-server";
    List<String> busbarFlags = new ArrayList<>();
    List<String> busbarArgs = new ArrayList<>();
    String machine = "";
    Path compareJar = null;
    Integer rounds = null;
    int[] b3Subs = null;
    Integer b3Burst = null;
    boolean b3Raw = false;
    int b1Instances = 1;
    for (int i = 1; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--only" -> only.addAll(Arrays.asList(args[++i].split(",")));
        case "--server-cores" -> serverCores = args[++i];
        case "--load-cores" -> loadCores = args[++i];
        case "--nats-server" -> nats = args[++i];
        case "--busbar-flag" -> busbarFlags.add(args[++i]);
        case "--busbar-arg" -> busbarArgs.add(args[++i]);
        case "--machine" -> machine = args[++i];
        case "--compare-jar" -> compareJar = Path.of(args[++i]).toAbsolutePath();
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--b3-subs" -> b3Subs = Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--b3-burst" -> b3Burst = Integer.parseInt(args[++i]);
        case "--b3-raw" -> b3Raw = true;
        case "--b1-instances" -> b1Instances = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Env env = new Env(quick, benchDir, serverCores.isEmpty() ? null : serverCores, loadCores, nats);
    env.extraBusbarFlags.addAll(busbarFlags);
    env.extraBusbarArgs.addAll(busbarArgs);
    env.compareJar = compareJar;
    // --quick validates that every scenario runs and reports, in under 3 minutes: one round each.
    env.rounds = rounds != null ? rounds : quick ? 1 : 3;
    env.b3Subs = b3Subs;
    env.b3Burst = b3Burst;
    env.b3Raw = b3Raw;
    env.b1Instances = b1Instances;
    Runtime.getRuntime().addShutdownHook(new Thread(env::stopAll));
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    String date = now.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm'Z'"));
    long t0 = System.nanoTime();
    JsonArray scenarios = new JsonArray();
    double cpu0 = LoadGen.cpuSeconds();
    // The host's own scheduling gaps at the start and the end, beside the ratios they disturb.
    long jitterMs = quick ? 1_000 : 3_000;
    JsonObject jitter = new JsonObject().put("start", HostJitter.measure(env, "host-jitter-start", jitterMs));
    try (LoadGen load = new LoadGen()) {
      Scenarios s = new Scenarios(env, load);
      List<Object[]> all = List.of(new Object[] {"B1", (Callable<JsonObject>) s::b1}, new Object[] {"B2", (Callable<JsonObject>) s::b2},
        new Object[] {"B3", (Callable<JsonObject>) s::b3}, new Object[] {"B4", (Callable<JsonObject>) s::b4},
        new Object[] {"B5", (Callable<JsonObject>) s::b5}, new Object[] {"B6", (Callable<JsonObject>) s::b6});
      for (Object[] sc : all) {
        String id = (String) sc[0];
        if (!only.isEmpty() && !only.contains(id)) {
          continue;
        }
        long st = System.nanoTime();
        Scenarios.log("%s starting", id);
        try {
          @SuppressWarnings("unchecked")
          JsonObject result = ((Callable<JsonObject>) sc[1]).call();
          scenarios.add(result.put("durationS", Stats.round((System.nanoTime() - st) / 1e9)));
        } catch (Exception e) {
          e.printStackTrace();
          scenarios.add(new JsonObject().put("id", id).put("error", e.toString()));
        } finally {
          env.stopAll();
        }
        Scenarios.log("%s done in %.0f s", id, (System.nanoTime() - st) / 1e9);
      }
    }
    jitter.put("end", HostJitter.measure(env, "host-jitter-end", jitterMs));
    double duration = (System.nanoTime() - t0) / 1e9;
    JsonObject run = new JsonObject().put("date", date).put("mode", quick ? "quick" : "full").put("durationS", Stats.round(duration))
      .put("machine", machine).put("serverCores", serverCores).put("loadCores", loadCores)
      .put("serverJvmFlags", new JsonArray(new ArrayList<>(Env.SERVER_JVM_FLAGS)))
      .put("hostJitter", jitter)
      .put("loadgenCpuSecondsTotal", Stats.round(LoadGen.cpuSeconds() - cpu0)).put("scenarios", scenarios);
    Path results = benchDir.resolve("results");
    Files.createDirectories(results);
    Files.writeString(results.resolve(date + ".json"), run.encodePrettily() + "\n");
    writeReports(results, run);
    Scenarios.log("wrote bench/results/%s.{json,md,svg} and latest.{md,svg} in %.0f s", date, duration);
    System.exit(0);
  }

  private static void writeReports(Path results, JsonObject run) throws java.io.IOException {
    String date = run.getString("date");
    String svg = Report.svg(run);
    Files.writeString(results.resolve(date + ".svg"), svg);
    Files.writeString(results.resolve(date + ".md"), Report.markdown(run, date + ".svg"));
    Files.writeString(results.resolve("latest.svg"), svg);
    Files.writeString(results.resolve("latest.md"), Report.markdown(run, "latest.svg"));
  }
}
