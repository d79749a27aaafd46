package io.busbar.testing;

import io.vertx.core.Future;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** A raw-WebSocket SockJS bridge client for tests: every frame it receives, and how it was closed. */
public final class BridgeClient implements AutoCloseable {
  public final WebSocket ws;
  public final Queue<JsonObject> frames = new ConcurrentLinkedQueue<>();
  public volatile Short closeCode;
  public volatile String closeReason;
  public volatile boolean closed;

  private BridgeClient(WebSocket ws) {
    this.ws = ws;
  }

  /**
   * Handlers are set before the handshake, not after it: a server that refuses a socket (a bad token,
   * say) writes its error frame and closes at once, and a handler set once connect() completed would
   * miss both (and throw, the socket being closed already).
   */
  private static void listen(ClientWebSocket ws, Queue<JsonObject> frames, Consumer<ClientWebSocket> onClose) {
    ws.handler(data -> {
      try {
        frames.add(new JsonObject(data));
      } catch (DecodeException e) {
        frames.add(new JsonObject().put("unparsed", data.toString()));
      }
    });
    ws.closeHandler(v -> onClose.accept(ws));
  }

  public static Future<BridgeClient> open(WebSocketClient client, int port, String uri) {
    ClientWebSocket ws = client.webSocket();
    BridgeClient bridge = new BridgeClient(ws);
    listen(ws, bridge.frames, closed -> {
      bridge.closeCode = closed.closeStatusCode();
      bridge.closeReason = closed.closeReason();
      bridge.closed = true;
    });
    return ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri)).map(bridge)
      .recover(failure -> {
        if (!"WebSocket is closed".equals(failure.getMessage())) {
          return Future.failedFuture(failure);
        }
        // Refused and closed by the server as the handshake completed: what it said is in frames.
        bridge.closeCode = ws.closeStatusCode();
        bridge.closeReason = ws.closeReason();
        bridge.closed = true;
        return Future.succeededFuture(bridge);
      });
  }

  public static BridgeClient connect(WebSocketClient client, int port, String token) {
    return Wait.await(open(client, port, "/eventbus/websocket" + (token == null ? "" : "?access_token=" + token)));
  }

  public void send(JsonObject frame) {
    Wait.await(ws.writeTextMessage(frame.encode()));
  }

  public void sendNoWait(JsonObject frame) {
    ws.writeTextMessage(frame.encode());
  }

  public Optional<JsonObject> find(Predicate<JsonObject> match) {
    return frames.stream().filter(match).findFirst();
  }

  public long count(Predicate<JsonObject> match) {
    return frames.stream().filter(match).count();
  }

  public JsonObject await(String what, Predicate<JsonObject> match) {
    Wait.until(what + " (frames so far: " + abbreviated() + ")", () -> find(match).isPresent());
    return find(match).orElseThrow();
  }

  public void awaitClosed(String what, Duration timeout) {
    Wait.until(what + " (frames so far: " + abbreviated() + ")", timeout, () -> closed);
  }

  public static Predicate<JsonObject> err(String code) {
    return f -> "err".equals(f.getString("type")) && code.equals(f.getValue("body"));
  }

  public static Predicate<JsonObject> rec(String address) {
    return f -> "rec".equals(f.getString("type")) && address.equals(f.getString("address"));
  }

  private String abbreviated() {
    String s = frames.toString();
    return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }

  @Override
  public void close() {
    if (!ws.isClosed()) {
      ws.close();
    }
  }
}
