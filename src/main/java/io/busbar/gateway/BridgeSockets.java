package io.busbar.gateway;

import io.busbar.NodeContext;
import io.busbar.cluster.Reliability;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.List;
import java.util.function.Supplier;

/**
 * Closes the SockJS sockets open on this node (as the security gate keeps them) when a graceful drain
 * begins, and any that connects during the drain, with status
 * {@value #SERVICE_RESTART} ("service restart", as in WebSocket close codes): the client should
 * reconnect, to another node.
 */
final class BridgeSockets {
  static final int SERVICE_RESTART = 1012;
  static final String REASON = "node draining, reconnect to another node";
  private final NodeContext node;
  private final Supplier<List<SockJSSocket>> open;

  /** @param open the sockets open now (the security gate keeps them) */
  BridgeSockets(Vertx vertx, Supplier<List<SockJSSocket>> open) {
    this.node = NodeContext.of(vertx);
    this.open = open;
    Reliability.of(vertx).onDrain(this::closeAll);
  }

  void opened(SockJSSocket socket) {
    if (node.draining()) {
      // Connected just as the drain began: send it elsewhere at once.
      socket.close(SERVICE_RESTART, REASON);
    }
  }

  private Future<Void> closeAll() {
    for (SockJSSocket socket : open.get()) {
      socket.close(SERVICE_RESTART, REASON);
    }
    return Future.succeededFuture();
  }
}
