package io.busbar;

import io.busbar.cluster.Reliability;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The graceful drain a node runs on SIGTERM before it leaves the cluster: {@code NodeContext.draining()}
 * becomes true (so {@code /ready} answers 503 and new HTTP work gets 503 with {@code Retry-After}),
 * then the drain hooks run together — reliable consumers refuse new events and unregister once their
 * handlers are done, SockJS clients are closed with status 1012 ("service restart": reconnect
 * elsewhere) — and the deliveries this node started are waited for, all within
 * {@code reliability.drain.timeoutMs}.
 */
public final class Drain {
  private static final Logger LOG = LoggerFactory.getLogger(Drain.class);
  private static final long POLL_MS = 20;

  private Drain() {
  }

  public static Future<Void> run(Vertx vertx) {
    NodeContext node = NodeContext.of(vertx);
    Reliability reliability = Reliability.of(vertx);
    if (!node.startDraining()) {
      return Future.succeededFuture();
    }
    long timeoutMs = reliability.settings.drainTimeoutMs();
    long started = System.nanoTime();
    LOG.info("draining: {} deliveries in flight", reliability.inFlight());
    Promise<Void> done = Promise.promise();
    vertx.runOnContext(v -> {
      Future<Void> hooks = reliability.runDrainHooks();
      Future<Void> deliveries = whenIdle(vertx, reliability, started + timeoutMs * 1_000_000L);
      Future.join(hooks, deliveries).timeout(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS).onComplete(ar -> {
        long ms = (System.nanoTime() - started) / 1_000_000L;
        if (ar.succeeded()) {
          LOG.info("drained in {} ms", ms);
        } else {
          LOG.warn("drain incomplete after {} ms ({} deliveries still in flight); leaving anyway", ms, reliability.inFlight());
        }
        done.complete();
      });
    });
    return done.future();
  }

  private static Future<Void> whenIdle(Vertx vertx, Reliability reliability, long deadlineNanos) {
    Promise<Void> idle = Promise.promise();
    vertx.setPeriodic(1, POLL_MS, id -> {
      if (reliability.inFlight() == 0 || System.nanoTime() > deadlineNanos) {
        vertx.cancelTimer(id);
        idle.tryComplete();
      }
    });
    return idle.future();
  }
}
