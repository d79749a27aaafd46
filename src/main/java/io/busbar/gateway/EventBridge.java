package io.busbar.gateway;

import io.busbar.gateway.security.GatewaySecurity;
import io.busbar.gateway.security.SecureBridge;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;

import java.util.List;

/**
 * The SockJS event-bus bridge: browser and Node.js clients ({@code @vertx/eventbus-bridge-client.js})
 * send, publish and subscribe within what {@link io.busbar.gateway.security.AccessPolicy} grants them.
 * The Vert.x bridge is told to permit every address (but the one {@link SecureBridge} uses to have it
 * refuse a frame) because {@link SecureBridge}, its event hook, decides every socket, frame and delivery
 * (and keeps the node's socket and event counters).
 */
final class EventBridge {
  private final Vertx vertx;
  private final JsonObject conf;
  private final SecureBridge gate;

  EventBridge(Vertx vertx, JsonObject sockjs, GatewaySecurity security) {
    this.vertx = vertx;
    this.conf = sockjs;
    this.gate = new SecureBridge(vertx, security, sockjs.getInteger("replyTimeoutMs"));
  }

  Router router() {
    PermittedOptions any = new PermittedOptions().setAddressRegex(SecureBridge.BRIDGE_PERMITS);
    SockJSBridgeOptions options = new SockJSBridgeOptions()
      .setInboundPermitteds(List.of(any))
      .setOutboundPermitteds(List.of(any))
      // The gate checks address length and subscriptions itself; these only bound the bridge's own state.
      .setMaxAddressLength(Integer.MAX_VALUE)
      .setMaxHandlersPerSocket(Integer.MAX_VALUE)
      .setReplyTimeout(conf.getInteger("replyTimeoutMs"))
      .setPingTimeout(conf.getInteger("pingTimeoutMs"));
    return SockJSHandler.create(vertx, new SockJSHandlerOptions()).bridge(options, gate);
  }

  SecureBridge gate() {
    return gate;
  }
}
