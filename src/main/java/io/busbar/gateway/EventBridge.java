package io.busbar.gateway;

import io.busbar.gateway.security.BurstFlushes;
import io.busbar.gateway.security.GatewaySecurity;
import io.busbar.gateway.security.OriginPolicy;
import io.busbar.gateway.security.SecureBridge;
import io.busbar.observe.Observability;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;

import java.util.List;

/**
 * The SockJS event-bus bridge: browser and Node.js clients ({@code @vertx/eventbus-bridge-client.js})
 * send, publish and subscribe within what {@link io.busbar.gateway.security.AccessPolicy} grants them.
 * The Vert.x bridge is told to permit every address (but the one {@link SecureBridge} uses to have it
 * refuse a frame) because {@link SecureBridge}, its event hook, decides every socket, frame and delivery
 * (and keeps the node's socket and event counters). Its decisions then feed the metrics
 * ({@link BridgeMetrics}) and the sockets a graceful drain closes ({@link BridgeSockets}).
 */
final class EventBridge {
  private static final String WEBSOCKET = "/websocket";

  private final Vertx vertx;
  private final JsonObject conf;
  private final SecureBridge gate;
  private final BridgeMetrics metrics;
  /** The gate's sessions are the open sockets: the drain closes those. */
  private final BridgeSockets sockets;
  private final String sessionsPrefix;

  EventBridge(Vertx vertx, JsonObject sockjs, GatewaySecurity security) {
    this.vertx = vertx;
    this.conf = sockjs;
    this.gate = new SecureBridge(vertx, security, sockjs.getInteger("replyTimeoutMs"));
    this.metrics = new BridgeMetrics(Observability.of(vertx));
    this.sockets = new BridgeSockets(vertx, gate::openSockets);
    this.sessionsPrefix = sockjs.getString("path") + "/";
  }

  Router router() {
    return SockJSHandler.create(vertx, new SockJSHandlerOptions()).bridge(options(), hook());
  }

  /**
   * The raw WebSocket transport, taken before the Router ({@link RawBridgeEndpoint}): a second instance
   * of the same Vert.x bridge with the same options and the same hook.
   */
  RawBridgeEndpoint rawEndpoint(OriginPolicy origins) {
    // EventBusBridgeImpl is what SockJSHandler.bridge() builds; it has no public factory of its own.
    return new RawBridgeEndpoint(vertx, conf.getString("path"), origins, new EventBusBridgeImpl(vertx, null, options(), hook()),
      gate.burstFlushes());
  }

  /**
   * The request as the Router should get it: a SockJS WebSocket upgrade
   * ({@code <path>/<server>/<session>/websocket}, what browsers use) is wrapped so that its socket gets the
   * same burst flushes as the raw endpoint's; anything else is returned as it is.
   */
  HttpServerRequest forRouter(HttpServerRequest req) {
    String path = req.path();
    if (!path.endsWith(WEBSOCKET) || !path.startsWith(sessionsPrefix) || !(req instanceof HttpServerRequestInternal internal)
      || !req.canUpgradeToWebSocket()) {
      return req;
    }
    BurstFlushes flushes = gate.burstFlushes();
    return new HttpServerRequestWrapper(internal) {
      @Override
      public Future<ServerWebSocket> toWebSocket() {
        return super.toWebSocket().onSuccess(flushes::attach);
      }
    };
  }

  private SockJSBridgeOptions options() {
    PermittedOptions any = new PermittedOptions().setAddressRegex(SecureBridge.BRIDGE_PERMITS);
    return new SockJSBridgeOptions()
      .setInboundPermitteds(List.of(any))
      .setOutboundPermitteds(List.of(any))
      // The gate checks address length and subscriptions itself; these only bound the bridge's own state.
      .setMaxAddressLength(Integer.MAX_VALUE)
      .setMaxHandlersPerSocket(Integer.MAX_VALUE)
      .setReplyTimeout(conf.getInteger("replyTimeoutMs"))
      .setPingTimeout(conf.getInteger("pingTimeoutMs"));
  }

  private Handler<BridgeEvent> hook() {
    return event -> {
      if (event.type() == BridgeEventType.SOCKET_CLOSED) {
        // Vert.x does not wait for the hook on a close, and the gate does not complete it.
        metrics.closed(event.socket(), gate.admitted(event.socket()));
        gate.handle(event);
        return;
      }
      gate.handle(event);
      event.future().onSuccess(allowed -> afterGate(event, allowed, metrics, sockets));
    };
  }

  private static void afterGate(BridgeEvent event, boolean passed, BridgeMetrics metrics, BridgeSockets sockets) {
    // The gate hands some refusals to Vert.x (so that it answers its own access_denied) by passing the
    // frame on with an address no permission matches.
    boolean allowed = passed && !(event.getRawMessage() != null && SecureBridge.DENIED.equals(event.getRawMessage().getString("address")));
    if (allowed && event.type() == BridgeEventType.SOCKET_CREATED) {
      sockets.opened(event.socket());
    }
    metrics.record(event, allowed);
  }

  SecureBridge gate() {
    return gate;
  }
}
