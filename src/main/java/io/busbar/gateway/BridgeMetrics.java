package io.busbar.gateway;

import io.busbar.observe.Observability;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

/**
 * Turns SockJS bridge events into Busbar's meters: open sockets by transport, messages in and out by
 * address, and denials. It runs after {@link io.busbar.gateway.security.SecureBridge} has decided a
 * frame, so a denial is counted exactly when the gate refused. Deliveries to clients are counted as
 * the gate takes them (it writes them itself, through the socket's bounded queue).
 */
final class BridgeMetrics {
  private final Observability observability;

  BridgeMetrics(Observability observability) {
    this.observability = observability;
  }

  void record(BridgeEvent event, boolean allowed) {
    switch (event.type()) {
      case SOCKET_CREATED -> {
        if (allowed) {
          observability.socketOpened(transport(event.socket().uri()));
        }
      }
      case SEND, PUBLISH -> {
        String address = address(event);
        if (allowed && address != null) {
          observability.bridgeMessage("in", address);
        } else if (!allowed) {
          observability.denied("sockjs_inbound");
        }
      }
      case REGISTER -> {
        if (!allowed) {
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

  /** A socket closed; {@code wasAdmitted}: it had been counted open (a refused socket never was). */
  void closed(SockJSSocket socket, boolean wasAdmitted) {
    if (wasAdmitted) {
      observability.socketClosed(transport(socket.uri()));
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
