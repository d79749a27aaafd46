package io.busbar.producer;

import io.busbar.Addresses;
import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Publishes this node's live stats on {@value Addresses#NODES} every {@code intervalMs}: node id,
 * roles, uptime, heap, open SockJS sockets, events in and out. Publishing cannot fail for lack of
 * listeners, so a tick never throws; the timer is cancelled on stop.
 */
public class HeartbeatVerticle extends VerticleBase {
  private long timerId = -1;

  @Override
  public Future<?> start() {
    NodeContext node = NodeContext.of(vertx);
    timerId = vertx.setPeriodic(0, config().getInteger("intervalMs"),
      id -> vertx.eventBus().publish(Addresses.NODES, stats(node)));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timerId);
    return Future.succeededFuture();
  }

  static JsonObject stats(NodeContext node) {
    Runtime rt = Runtime.getRuntime();
    long now = System.currentTimeMillis();
    return new JsonObject()
      .put("nodeId", node.nodeId)
      .put("roles", new JsonArray(node.roles))
      .put("time", now)
      .put("uptimeMs", now - node.startedAtMillis)
      .put("heapUsedBytes", rt.totalMemory() - rt.freeMemory())
      .put("heapMaxBytes", rt.maxMemory())
      .put("socketsOpen", node.socketsOpen.get())
      .put("eventsIn", node.eventsIn.get())
      .put("eventsOut", node.eventsOut.get());
  }
}
