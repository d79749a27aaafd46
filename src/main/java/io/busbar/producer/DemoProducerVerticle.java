package io.busbar.producer;

import io.busbar.Addresses;
import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Publishes synthetic events ({@code seq}, {@code value}) on {@code address} (default
 * {@value Addresses#DEMO}) at {@code ratePerSecond}, so a fresh node has something to watch.
 * Off by default. Rates above 1000/s are sent in batches on a 1 ms timer.
 */
public class DemoProducerVerticle extends VerticleBase {
  private long timerId = -1;
  private long seq;

  @Override
  public Future<?> start() {
    String address = config().getString("address");
    int rate = config().getInteger("ratePerSecond");
    long periodMs = Math.max(1, 1000 / rate);
    int perTick = (int) Math.max(1, rate * periodMs / 1000);
    NodeContext node = NodeContext.of(vertx);
    timerId = vertx.setPeriodic(periodMs, id -> {
      for (int i = 0; i < perTick; i++) {
        String eventId = UUID.randomUUID().toString();
        vertx.eventBus().publish(address,
          new JsonObject().put("seq", ++seq).put("value", ThreadLocalRandom.current().nextInt(1000)).put("node", node.nodeId),
          new DeliveryOptions().addHeader(Addresses.HEADER_ID, eventId).addHeader(Addresses.HEADER_SPECVERSION, "1.0")
            .addHeader(Addresses.HEADER_SOURCE, "/busbar/demo").addHeader(Addresses.HEADER_TYPE, "io.busbar.demo"));
      }
    });
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    return Future.succeededFuture();
  }
}
