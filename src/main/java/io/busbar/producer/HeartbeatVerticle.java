package io.busbar.producer;

import io.busbar.Addresses;
import io.busbar.NodeContext;
import io.busbar.observe.Observability;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;

/**
 * Publishes this node's live stats on {@value Addresses#NODES} every {@code intervalMs}: node id,
 * roles, uptime, heap, open SockJS sockets, events in and out (totals and rates per second since the
 * previous tick), and the busiest addresses this node put on the bus with their rates (from the event-bus
 * metrics; empty when {@code metrics.enabled} is false). Publishing cannot fail for lack of listeners, so
 * a tick never throws; the timer is cancelled on stop.
 */
public class HeartbeatVerticle extends VerticleBase {
  static final int BUSIEST = 5;

  private long timerId = -1;
  private Rates rates;

  @Override
  public Future<?> start() {
    NodeContext node = NodeContext.of(vertx);
    Observability observability = Observability.of(vertx);
    rates = new Rates(BUSIEST);
    timerId = vertx.setPeriodic(0, config().getInteger("intervalMs"),
      id -> vertx.eventBus().publish(Addresses.NODES, stats(node, observability.eventBusTraffic())));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    return Future.succeededFuture();
  }

  private JsonObject stats(NodeContext node, Map<String, Double> traffic) {
    Runtime rt = Runtime.getRuntime();
    long now = System.currentTimeMillis();
    long in = node.eventsIn.get();
    long out = node.eventsOut.get();
    Rates.Tick tick = rates.tick(now, in, out, traffic);
    return new JsonObject()
      .put("nodeId", node.nodeId)
      .put("roles", new JsonArray(node.roles))
      .put("time", now)
      .put("uptimeMs", now - node.startedAtMillis)
      .put("heapUsedBytes", rt.totalMemory() - rt.freeMemory())
      .put("heapMaxBytes", rt.maxMemory())
      .put("socketsOpen", node.socketsOpen.get())
      .put("eventsIn", in)
      .put("eventsOut", out)
      .put("eventsInPerSec", tick.inPerSec())
      .put("eventsOutPerSec", tick.outPerSec())
      .put("busiest", tick.busiest());
  }
}
