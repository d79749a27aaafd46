package io.busbar.gateway;

import io.busbar.gateway.security.BurstFlushes;
import io.busbar.gateway.security.OriginPolicy;
import io.busbar.gateway.security.SharedFrame;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.ext.auth.User;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import io.vertx.ext.web.handler.sockjs.impl.SockJSSocketBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's raw WebSocket endpoint ({@code <sockjs.path>/websocket}: one bridge frame per WebSocket
 * message, what the Node.js and most non-browser clients use), upgraded straight from the HTTP server
 * instead of through the Router and the SockJS handler. Same bridge, same gate: the socket is handed to
 * the bridge exactly as the SockJS handler would hand it. The difference is what an idle connection
 * keeps for its whole life: through the Router it keeps the upgrade's routing contexts (with their sets
 * and maps), the request wrapper and the forwarded-header parser, about a kilobyte per connection.
 * <p>
 * Only well-formed version-13 upgrades of that one path are taken here; everything else (other
 * transports, {@code /info}, a malformed or non-GET upgrade) goes to the Router as before, which answers
 * it. A listed origin is checked first, as for every SockJS transport ({@code 403 origin_not_allowed}).
 * Consumes and publishes nothing itself.
 */
final class RawBridgeEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(RawBridgeEndpoint.class);
  private static final SockJSHandlerOptions SOCKJS_DEFAULTS = new SockJSHandlerOptions();

  private final Vertx vertx;
  private final String path;
  private final OriginPolicy origins;
  private final Handler<SockJSSocket> bridge;
  private final BurstFlushes flushes;

  RawBridgeEndpoint(Vertx vertx, String sockjsPath, OriginPolicy origins, Handler<SockJSSocket> bridge, BurstFlushes flushes) {
    this.vertx = vertx;
    this.path = sockjsPath + "/websocket";
    this.origins = origins;
    this.bridge = bridge;
    this.flushes = flushes;
  }

  /** Takes the request if it is a raw bridge upgrade, and says whether it did. */
  boolean handle(HttpServerRequest req) {
    if (req.method() != HttpMethod.GET || !path.equals(req.path()) || !req.canUpgradeToWebSocket()
      || !"13".equals(req.getHeader("sec-websocket-version"))) {
      return false;
    }
    if (!origins.permits(req)) {
      HttpApi.fail(req, OriginPolicy.REFUSED);
      return true;
    }
    req.toWebSocket().onComplete((ws, failure) -> {
      if (failure != null) {
        // The client went away during the handshake: nothing to answer.
        LOG.debug("raw bridge upgrade failed: {}", failure.toString());
        return;
      }
      bridge.handle(new RawBridgeSocket(vertx, ws, flushes.attach(ws)));
    });
    return true;
  }

  /**
   * A WebSocket as the bridge sees a SockJS socket. It extends the SockJS base class because the bridge
   * casts to it to close an idle socket. No routing context, web session or user: Busbar's gate
   * authenticates from the token in the URI and never uses them. Fan-out frames are written as
   * {@link SharedFrame}s, the same encoded bytes for every socket, unless the socket is compressed.
   */
  static final class RawBridgeSocket extends SockJSSocketBase implements SharedFrame.Writer {
    private final ServerWebSocket ws;
    /** The hold of this socket's flushes, where its fan-out frames wait during a burst; null if none. */
    private final BurstFlushes.Held held;
    private MultiMap headers;
    private boolean closed;
    /** Where shared fan-out frames go, looked up at the first one: null if they cannot (then written as before). */
    private VertxConnection sharedFrames;
    private boolean sharedFramesLookedUp;

    RawBridgeSocket(Vertx vertx, ServerWebSocket ws, BurstFlushes.Held held) {
      super(vertx, null, SOCKJS_DEFAULTS);
      this.ws = ws;
      this.held = held;
      ws.closeHandler(v -> closed = true);
    }

    @Override
    public SockJSSocket handler(Handler<Buffer> handler) {
      ws.binaryMessageHandler(handler);
      ws.textMessageHandler(text -> handler.handle(Buffer.buffer(text)));
      return this;
    }

    @Override
    public SockJSSocket exceptionHandler(Handler<Throwable> handler) {
      ws.exceptionHandler(handler);
      return this;
    }

    @Override
    public SockJSSocket endHandler(Handler<Void> handler) {
      ws.endHandler(handler);
      return this;
    }

    @Override
    public SockJSSocket closeHandler(Handler<Void> handler) {
      ws.closeHandler(v -> {
        closed = true;
        if (handler != null) {
          handler.handle(v);
        }
      });
      return this;
    }

    @Override
    public SockJSSocket pause() {
      ws.pause();
      return this;
    }

    @Override
    public SockJSSocket resume() {
      ws.resume();
      return this;
    }

    @Override
    public SockJSSocket fetch(long amount) {
      ws.fetch(amount);
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      return closed ? Future.failedFuture("socket is closed") : ws.writeBinaryMessage(data);
    }

    @Override
    public Future<Void> writeShared(SharedFrame frame) {
      if (closed || ws.isClosed()) {
        return null;
      }
      if (!sharedFramesLookedUp) {
        sharedFramesLookedUp = true;
        sharedFrames = SharedFrame.connectionOf(ws);
      }
      return frame.writeTo(sharedFrames, held);
    }

    @Override
    public long unsentBytes() {
      return SharedFrame.unsentBytes(sharedFrames) + (held == null ? 0 : held.keptBytes());
    }

    @Override
    public Future<Void> write(String data) {
      return closed ? Future.failedFuture("socket is closed") : ws.writeTextMessage(data);
    }

    @Override
    public SockJSSocket setWriteQueueMaxSize(int maxSize) {
      ws.setWriteQueueMaxSize(maxSize);
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return ws.writeQueueFull();
    }

    @Override
    public SockJSSocket drainHandler(Handler<Void> handler) {
      ws.drainHandler(handler);
      return this;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        ws.close();
      }
    }

    @Override
    public void close(int statusCode, String reason) {
      if (!closed) {
        closed = true;
        ws.close((short) statusCode, reason);
      }
    }

    @Override
    public void closeAfterSessionExpired() {
      close(1001, "Session expired");
    }

    @Override
    public SocketAddress remoteAddress() {
      return ws.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
      return ws.localAddress();
    }

    @Override
    public MultiMap headers() {
      if (headers == null) {
        // As the SockJS transports do: the bridge's hooks never see cookies.
        headers = MultiMap.caseInsensitiveMultiMap().addAll(ws.headers()).remove(HttpHeaders.COOKIE);
      }
      return headers;
    }

    @Override
    public String uri() {
      return ws.uri();
    }

    @Override
    public RoutingContext routingContext() {
      return null;
    }

    @Override
    public Session webSession() {
      return null;
    }

    @Override
    public User webUser() {
      return null;
    }
  }
}
