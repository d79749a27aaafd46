package io.busbar.gateway;

import io.busbar.observe.Observability;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;

/**
 * Turns SockJS bridge events into Busbar's meters: open sockets by transport, messages in and out by
 * address, and denials. Vert.x checks permissions after this hook and answers a refused address with
 * {@code access_denied} without telling the hook, so the same {@link Permissions} decide here what it
 * will refuse. Reply addresses ({@code __vertx.reply.*}) are let through by Vert.x, never counted as denied.
 */
final class BridgeMetrics {
  private static final String REPLY_PREFIX = "__vertx.reply.";

  private final Observability observability;
  private final Permissions inbound;
  private final Permissions outbound;

  BridgeMetrics(Observability observability, Permissions inbound, Permissions outbound) {
    this.observability = observability;
    this.inbound = inbound;
    this.outbound = outbound;
  }

  void record(BridgeEvent event) {
    switch (event.type()) {
      case SOCKET_CREATED -> observability.socketOpened(transport(event.socket().uri()));
      case SOCKET_CLOSED -> observability.socketClosed(transport(event.socket().uri()));
      case SEND, PUBLISH -> {
        String address = address(event);
        if (address == null) {
          return;
        }
        if (inbound.allows(address) || address.startsWith(REPLY_PREFIX)) {
          observability.bridgeMessage("in", address);
        } else {
          observability.denied("sockjs_inbound");
        }
      }
      case REGISTER -> {
        String address = address(event);
        if (address != null && !outbound.allows(address)) {
          observability.denied("sockjs_outbound");
        }
      }
      case RECEIVE -> {
        String address = address(event);
        if (address != null) {
          observability.bridgeMessage("out", address);
        }
      }
      default -> {
      }
    }
  }

  private static String address(BridgeEvent event) {
    JsonObject raw = event.getRawMessage();
    return raw == null ? null : raw.getString("address");
  }

  /**
   * The SockJS transport from the socket's URI: {@code /eventbus/websocket} is the raw WebSocket,
   * {@code /eventbus/<server>/<session>/<transport>} a SockJS session.
   */
  static String transport(String uri) {
    if (uri == null) {
      return "unknown";
    }
    String path = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
    String last = path.substring(path.lastIndexOf('/') + 1);
    return switch (last) {
      case "websocket" -> path.split("/").length > 3 ? "websocket" : "raw_websocket";
      case "xhr", "xhr_send", "xhr_streaming", "eventsource", "htmlfile", "jsonp", "jsonp_send" -> last;
      default -> "other";
    };
  }
}
