package io.busbar.bench;

import io.nats.client.Connection;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The load generator: one Vert.x instance (two event loops) in this JVM with an HTTP client for
 * closed-loop load and for paced publishing; also knows this JVM's own CPU time, reported beside
 * every figure so that a load-generator bottleneck is visible.
 */
final class LoadGen implements AutoCloseable {
  final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));

  /** CPU seconds this JVM used so far (the load generator's own CPU). */
  static double cpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
  }

  /** Something that publishes one benchmark event text. */
  interface Publisher extends AutoCloseable {
    Future<?> publish(String json);

    @Override
    default void close() {
    }
  }

  /** HTTP POST of the JSON to a path, through a pool of connections (pipelined). */
  Publisher httpPublisher(int port, String path, int connections) {
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setPipelining(true).setPipeliningLimit(16)
      .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(path)
      .setHeaders(MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json")).setTimeout(30_000);
    return new Publisher() {
      @Override
      public Future<?> publish(String json) {
        return http.request(o).compose(req -> req.send(json)).compose(resp -> resp.body().map(b -> {
          if (resp.statusCode() >= 300) {
            throw new IllegalStateException("HTTP " + resp.statusCode() + ": " + b);
          }
          return b;
        }));
      }

      @Override
      public void close() {
        http.close();
      }
    };
  }

  /** Publishes with a jnats connection (the NATS peer). */
  static Publisher natsPublisher(Connection nc, String subject) {
    return json -> {
      nc.publish(subject, json.getBytes(StandardCharsets.UTF_8));
      return Future.succeededFuture();
    };
  }

  /** Result of a closed-loop HTTP run. */
  record Closed(double rps, double p50Ms, double p99Ms, long errors, double loadCpu, long all) {
  }

  /**
   * Closed-loop HTTP POSTs: {@code connections × depth} requests in flight (pipelined), a warm-up,
   * then counts completions and records latency over the measured window.
   */
  Closed closedLoop(int port, String path, String body, int connections, int depth, double warmS, double measureS) throws Exception {
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setPipelining(depth > 1).setPipeliningLimit(Math.max(depth, 1))
      .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(connections).setMaxWaitQueueSize(-1));
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(path)
      .setHeaders(MultiMap.caseInsensitiveMultiMap().add("content-type", "application/json")).setTimeout(30_000);
    Buffer payload = Buffer.buffer(body);
    int loops = connections * depth;
    ClosedWindow window = new ClosedWindow(warmS, measureS, loops);
    Context[] contexts = {vertx.getOrCreateContext(), vertx.getOrCreateContext()};
    for (int i = 0; i < loops; i++) {
      contexts[i % contexts.length].runOnContext(v -> loop(http, o, payload, window));
    }
    try {
      return window.await(warmS);
    } finally {
      http.close();
    }
  }

  private void loop(HttpClient http, RequestOptions o, Buffer payload, ClosedWindow window) {
    long t0 = Clock.now();
    if (!window.open(t0)) {
      window.stopped();
      return;
    }
    http.request(o).compose(req -> req.send(payload)).compose(resp -> resp.body().map(b -> resp.statusCode()))
      .onComplete(ar -> {
        window.record(t0, Clock.now(), ar.succeeded(), ar.succeeded() && ar.result() < 300);
        loop(http, o, payload, window);
      });
  }

  /**
   * Publishes events {@code 0..count-1} at {@code rate} per second (1 ms ticks catch up with the schedule),
   * stamping each with {@link Clock#now()} in the body and in {@code d.sent}. Returns once all are sent.
   */
  void paced(Publisher pub, Deliveries d, int count, double rate) throws Exception {
    Promise<Void> done = Promise.promise();
    AtomicLong errors = new AtomicLong();
    long start = Clock.now();
    int[] next = {0};
    Context ctx = vertx.getOrCreateContext();
    ctx.runOnContext(v -> {
      long[] timer = new long[1];
      timer[0] = vertx.setPeriodic(1, id -> {
        long due = Math.min(count, (long) ((Clock.now() - start) / 1e9 * rate) + 1);
        while (next[0] < due) {
          int seq = next[0]++;
          long ts = Clock.now();
          d.sent.set(seq, ts);
          pub.publish(Deliveries.event(seq, ts)).onFailure(e -> {
            if (errors.incrementAndGet() <= 3) {
              System.err.println("publish failed: " + e);
            }
          });
        }
        if (next[0] >= count) {
          vertx.cancelTimer(timer[0]);
          done.complete();
        }
      });
    });
    done.future().toCompletionStage().toCompletableFuture().get((long) (count / rate) + 60, TimeUnit.SECONDS);
    if (errors.get() > 0) {
      throw new IllegalStateException(errors.get() + " publishes failed");
    }
  }

  /** Waits until {@code expected} deliveries arrived or nothing new arrived for {@code quietMs}. */
  static void drain(Deliveries d, long expected, long quietMs, long maxMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs);
    long lastCount = -1;
    long lastChange = System.nanoTime();
    while (d.total.get() < expected && System.nanoTime() < deadline) {
      long c = d.total.get();
      if (c != lastCount) {
        lastCount = c;
        lastChange = System.nanoTime();
      } else if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(quietMs)) {
        return;
      }
      Thread.sleep(20);
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
