package io.busbar.gateway;

import io.busbar.NodeContext;
import io.busbar.observe.Observability;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;

/**
 * The SockJS event-bus bridge: browser and Node.js clients ({@code @vertx/eventbus-bridge-client.js})
 * send and publish to addresses {@code gateway.inbound} permits and subscribe to addresses
 * {@code gateway.outbound} permits; anything else is answered {@code access_denied} by Vert.x.
 * It keeps the node's socket and event counters up to date.
 */
final class EventBridge {
  private final Vertx vertx;
  private final JsonObject conf;
  private final Permissions inbound;
  private final Permissions outbound;

  EventBridge(Vertx vertx, JsonObject sockjs, Permissions inbound, Permissions outbound) {
    this.vertx = vertx;
    this.conf = sockjs;
    this.inbound = inbound;
    this.outbound = outbound;
  }

  Router router() {
    SockJSBridgeOptions options = new SockJSBridgeOptions()
      .setInboundPermitteds(inbound.bridgeOptions())
      .setOutboundPermitteds(outbound.bridgeOptions())
      .setReplyTimeout(conf.getInteger("replyTimeoutMs"))
      .setPingTimeout(conf.getInteger("pingTimeoutMs"));
    NodeContext node = NodeContext.of(vertx);
    BridgeMetrics metrics = new BridgeMetrics(Observability.of(vertx), inbound, outbound);
    BridgeSockets sockets = new BridgeSockets(vertx);
    return SockJSHandler.create(vertx, new SockJSHandlerOptions()).bridge(options, event -> count(node, metrics, sockets, event));
  }

  private static void count(NodeContext node, BridgeMetrics metrics, BridgeSockets sockets, BridgeEvent event) {
    switch (event.type()) {
      case SOCKET_CREATED -> {
        node.socketsOpen.incrementAndGet();
        sockets.opened(event.socket());
      }
      case SOCKET_CLOSED -> {
        node.socketsOpen.decrementAndGet();
        sockets.closed(event.socket());
      }
      case SEND, PUBLISH -> node.eventsIn.incrementAndGet();
      case RECEIVE -> node.eventsOut.incrementAndGet();
      default -> {
      }
    }
    metrics.record(event);
    event.complete(true);
  }
}
