package io.busbar.it;

import io.vertx.core.json.JsonObject;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * A bounded HTTP load of {@code POST /api/deliver/events.orders} at a steady rate, for the fault ITs:
 * event {@code i} has the id {@code <prefix>-i}, and every answer is recorded. With {@code retrying},
 * the client behaves as a well-mannered client should: after a 503/429 it waits {@code Retry-After}
 * and tries the same id on the next gateway, and after a connection error it tries the next gateway.
 */
final class DeliveryLoad {
  static final String ADDRESS = "events.orders";
  private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(40);

  /** One answer the client got (a retried id has several). */
  record Answer(String id, int status, long sentNanos, long answeredNanos, String error) {
  }

  /** The final state of one id. */
  record Result(String id, int status, long firstSentNanos, long doneNanos, int tries) {
    long latencyMs() {
      return (doneNanos - firstSentNanos) / 1_000_000L;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2))
    .executor(Executors.newFixedThreadPool(8)).build();
  private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);
  private final List<Integer> gateways;
  private final boolean retrying;
  private final String prefix;
  final Queue answers = new Queue();
  final Map<String, Result> results = new ConcurrentHashMap<>();
  private final AtomicInteger next = new AtomicInteger();

  static final class Queue extends ConcurrentLinkedQueue<Answer> {
  }

  DeliveryLoad(String prefix, List<Integer> gateways, boolean retrying) {
    this.prefix = prefix;
    this.gateways = gateways;
    this.retrying = retrying;
  }

  /**
   * Sends {@code count} deliveries at {@code perSecond}, calls {@code atFraction} (on the sending
   * thread) once when {@code fraction} of them have been sent, and waits for every id to end.
   */
  void run(int count, int perSecond, double fraction, Runnable atFraction, Duration wait) throws Exception {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    long periodNanos = 1_000_000_000L / perSecond;
    long start = System.nanoTime();
    int trigger = (int) (count * fraction);
    for (int i = 0; i < count; i++) {
      long due = start + i * periodNanos;
      long sleep = due - System.nanoTime();
      if (sleep > 0) {
        TimeUnit.NANOSECONDS.sleep(sleep);
      }
      if (i == trigger && atFraction != null) {
        atFraction.run();
      }
      all.add(deliver(prefix + "-" + i, i));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Sends while {@code keepGoing} is positive, at {@code perSecond}; waits for every id to end. */
  int runWhile(int perSecond, IntSupplier keepGoing, Duration wait) throws Exception {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    long periodNanos = 1_000_000_000L / perSecond;
    long start = System.nanoTime();
    int i = 0;
    while (keepGoing.getAsInt() > 0) {
      long sleep = start + i * periodNanos - System.nanoTime();
      if (sleep > 0) {
        TimeUnit.NANOSECONDS.sleep(sleep);
      }
      all.add(deliver(prefix + "-" + i, i));
      i++;
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(wait.toMillis(), TimeUnit.MILLISECONDS);
    return i;
  }

  void close() {
    timer.shutdownNow();
  }

  private CompletableFuture<Void> deliver(String id, int seq) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    attempt(id, seq, System.nanoTime(), 1, seq % gateways.size(), done);
    return done;
  }

  private void attempt(String id, int seq, long firstSent, int tries, int gatewayIndex, CompletableFuture<Void> done) {
    int port = gateways.get(gatewayIndex % gateways.size());
    long sent = System.nanoTime();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/deliver/" + ADDRESS + "?timeout=10000"))
      .timeout(Duration.ofSeconds(20)).header("content-type", "application/json").header("ce-id", id)
      .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("seq", seq).encode())).build();
    http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, failure) -> {
      long now = System.nanoTime();
      int status = failure != null ? -1 : response.statusCode();
      Throwable root = failure;
      while (root != null && root.getCause() != null) {
        root = root.getCause();
      }
      String error = failure != null ? root.getClass().getSimpleName() + ": " + root.getMessage()
        : status == 200 ? null : new JsonObject(response.body()).getString("error");
      answers.add(new Answer(id, status, sent, now, error));
      // A lost connection (node stopped, connection closed under the request) or a 503/429 with Retry-After:
      // the same id is safe to send again, to the next gateway.
      boolean retryable = status == -1 && root instanceof java.io.IOException
        || (status == 503 || status == 429) && response.headers().firstValue("retry-after").isPresent();
      if (retrying && retryable && now - firstSent < GIVE_UP_NANOS) {
        long delayMs = status == -1 ? 100 : 1000L * Long.parseLong(response.headers().firstValue("retry-after").get());
        timer.schedule(() -> attempt(id, seq, firstSent, tries + 1, gatewayIndex + 1, done), delayMs, TimeUnit.MILLISECONDS);
        return;
      }
      results.put(id, new Result(id, status, firstSent, now, tries));
      done.complete(null);
    });
  }

  /** How often each id of this load appears in the event logs (one NDJSON line per handling). */
  Map<String, Integer> handled(List<Path> eventLogs) throws Exception {
    Map<String, Integer> counts = new HashMap<>();
    for (Path file : eventLogs) {
      if (!Files.exists(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file)) {
        if (line.endsWith("}") && line.contains(prefix + "-")) {
          String id = new JsonObject(line).getString("id");
          if (id != null && id.startsWith(prefix + "-")) {
            counts.merge(id, 1, Integer::sum);
          }
        }
      }
    }
    for (Path file : eventLogs) {
      if (Files.exists(file)) {
        for (String line : Files.readAllLines(file)) {
          counts.forEach((id, n) -> {
            if (n > 1 && line.contains("\"id\":\"" + id + "\"")) {
              System.out.println("[reliability] duplicate " + id + " in " + file + ": " + line);
            }
          });
        }
      }
    }
    return counts;
  }
}
