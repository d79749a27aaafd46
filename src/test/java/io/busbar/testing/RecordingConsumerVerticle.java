package io.busbar.testing;

import io.busbar.consumer.ReliableConsumer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;

import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A test's reliable consumer of {@code config.address}: records every id its handler was called with
 * in {@link #HANDLED} (per name), fails while {@link #FAILING} holds the name, and waits
 * {@code config.delayMs} before acknowledging.
 */
public class RecordingConsumerVerticle extends VerticleBase {
  public static final ConcurrentHashMap<String, Queue<String>> HANDLED = new ConcurrentHashMap<>();
  public static final ConcurrentHashMap<String, AtomicBoolean> FAILING = new ConcurrentHashMap<>();

  private ReliableConsumer consumer;

  public static Queue<String> handled(String name) {
    return HANDLED.computeIfAbsent(name, n -> new ConcurrentLinkedQueue<>());
  }

  public static AtomicBoolean failing(String name) {
    return FAILING.computeIfAbsent(name, n -> new AtomicBoolean());
  }

  @Override
  public Future<?> start() {
    String name = config().getString("name");
    long delayMs = config().getLong("delayMs", 0L);
    consumer = ReliableConsumer.register(vertx, config().getString("address"), event -> {
      if (failing(name).get()) {
        return Future.failedFuture("refused by the test");
      }
      handled(name).add(event.id());
      if (delayMs == 0) {
        return Future.succeededFuture();
      }
      Promise<Void> p = Promise.promise();
      vertx.setTimer(delayMs, t -> p.complete());
      return p.future();
    });
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }
}
