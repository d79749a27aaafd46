package io.busbar.bench.baseline;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Baseline of B2, B3 and B6: the least a Vert.x server can do to broadcast. WebSocket clients connect
 * to {@code /ws}; {@code POST /publish} writes its body, as is, to every open socket as one text frame.
 * No event bus, no envelope, no permissions. Usage: {@code RawWebSocketBroadcast PORT}.
 */
public class RawWebSocketBroadcast extends VerticleBase {
  private final int port;
  private final Set<ServerWebSocket> sockets = new LinkedHashSet<>();
  private HttpServer server;

  RawWebSocketBroadcast(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(new RawWebSocketBroadcast(Integer.parseInt(args[0])))
      .onSuccess(id -> System.out.println("raw WebSocket broadcast ready on " + args[0]))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer()
      .webSocketHandler(ws -> {
        if (!ws.path().equals("/ws")) {
          ws.close((short) 1008);
          return;
        }
        sockets.add(ws);
        ws.closeHandler(v -> sockets.remove(ws));
        ws.exceptionHandler(e -> sockets.remove(ws));
        ws.handler(b -> { });
      })
      .requestHandler(req -> {
        if (req.path().equals("/ready")) {
          req.response().end(String.valueOf(sockets.size()));
        } else if (req.path().equals("/publish")) {
          req.body().onSuccess(body -> {
            String text = body.toString();
            for (ServerWebSocket ws : sockets) {
              ws.writeTextMessage(text);
            }
            req.response().setStatusCode(202).end();
          });
        } else {
          req.response().setStatusCode(404).end();
        }
      })
      .listen(port, "127.0.0.1").onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
