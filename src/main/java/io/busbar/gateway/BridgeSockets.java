package io.busbar.gateway;

import io.busbar.NodeContext;
import io.busbar.cluster.Reliability;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The SockJS sockets open on this node, so that a graceful drain can close them with status
 * {@value #SERVICE_RESTART} ("service restart", as in WebSocket close codes): the client should
 * reconnect, to another node.
 */
final class BridgeSockets {
  static final int SERVICE_RESTART = 1012;
  static final String REASON = "node draining, reconnect to another node";
  private final Set<SockJSSocket> open = ConcurrentHashMap.newKeySet();
  private final NodeContext node;

  BridgeSockets(Vertx vertx) {
    this.node = NodeContext.of(vertx);
    Reliability.of(vertx).onDrain(this::closeAll);
  }

  void opened(SockJSSocket socket) {
    if (node.draining()) {
      // Connected just as the drain began: send it elsewhere at once.
      socket.close(SERVICE_RESTART, REASON);
      return;
    }
    open.add(socket);
  }

  void closed(SockJSSocket socket) {
    open.remove(socket);
  }

  private Future<Void> closeAll() {
    for (SockJSSocket socket : List.copyOf(open)) {
      socket.close(SERVICE_RESTART, REASON);
    }
    open.clear();
    return Future.succeededFuture();
  }
}
