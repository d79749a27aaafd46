package io.busbar.gateway;

import io.busbar.ApiError;
import io.busbar.NodeContext;
import io.busbar.gateway.security.GatewaySecurity;
import io.busbar.gateway.security.SecureBridge;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's HTTP server: the HTTP API under {@code /api} (see {@link HttpApi}, {@link DirectApiEndpoint}
 * for plain publishes and sends, and, for acknowledged delivery and dead letters, {@link DeliverApi}),
 * the SockJS event-bus bridge at {@code gateway.sockjs.path} (see {@link EventBridge}), and
 * {@code /health}, {@code /ready}, {@code /metrics} and the console (see {@link ObservedRoutes}). A node
 * deploys {@code gateway.instances} of it, each an HTTP server on its own event loop sharing the one port;
 * what the limits count for the whole node they keep in {@link io.busbar.gateway.security.NodeLimits}. Every
 * caller is checked by {@link GatewaySecurity}: it publishes, sends and subscribes to what its grants
 * allow. Start-up fails if a key file cannot be read or the port cannot be bound; every request error is
 * answered as JSON {@code {"error","message"}}.
 */
public class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  private HttpServer server;
  private SecureBridge gate;
  private long sweeper;
  private volatile boolean listening;

  @Override
  public Future<?> start() {
    JsonObject conf = config();
    // Key files are read here: off the event loop.
    return vertx.executeBlocking(() -> new GatewaySecurity(vertx, conf, HttpApi::fail)).compose(security -> listen(conf, security));
  }

  private Future<HttpServer> listen(JsonObject conf, GatewaySecurity security) {
    HttpApi api = new HttpApi(vertx, conf, security);
    // false: never write uploads to ./file-uploads; the limit answers 413 before the body is buffered.
    // Preallocated from content-length: events are small, and the default first buffer is 1 KB per request.
    BodyHandler body = BodyHandler.create(false).setBodyLimit(conf.getInteger("bodyLimit")).setPreallocateBodyBuffer(true);

    Router router = Router.router(vertx);
    DeliverApi deliver = new DeliverApi(vertx, security);
    ObservedRoutes.ApiOutcomes outcomes = ObservedRoutes.apiOutcomes(vertx);
    // One handler in front of the whole API, and the API's routes ahead of the others: every route the
    // Router passes on the way costs a match and a dispatch, per request (bench B1). In order: the request
    // id and outcome, so that every answer is counted; no new work while draining, whoever asks; the
    // origin, before anything is read. Then the bounded body, then the token (asynchronous).
    // DirectApiEndpoint does the same for a plain publish or send, without the Router.
    router.route("/api/*").handler(ctx -> {
      outcomes.begin(ctx);
      if (deliver.admitsWork(ctx.request()) && security.admitsOrigin(ctx.request())) {
        ctx.next();
      }
    });
    // POST only: a body handler on a GET or HEAD with a multipart content type fails with a 500.
    router.route(HttpMethod.POST, "/api/*").handler(body);
    router.route("/api/*").handler(security::authenticate);
    // The busiest routes first: each route with a path parameter costs a regex match on the way past it.
    router.post("/api/publish/:address").handler(api::publish);
    router.post("/api/send/:address").handler(api::send);
    router.post("/api/request/:address").handler(api::request);
    router.post("/api/deliver/:address").handler(deliver::deliver);
    router.get("/api/dlq/:address").handler(deliver::listDeadLetters);
    router.post("/api/dlq/:address/redrive").handler(deliver::redrive);
    ObservedRoutes.mount(router, vertx, conf, () -> listening);
    String sockjsPath = conf.getJsonObject("sockjs").getString("path");
    EventBridge bridge = new EventBridge(vertx, conf.getJsonObject("sockjs"), security);
    // Every SockJS transport (not only WebSocket) is checked against gateway.cors.allowedOrigins first.
    router.route(sockjsPath + "/*").handler(security::sockJsOrigins);
    // SockJS XHR transports send with POST and need the body read first; only POST, because a WebSocket
    // upgrade (a GET) must reach SockJS unread, else the handshake fails with "Request has already been read".
    router.route(HttpMethod.POST, sockjsPath + "/*").handler(body);
    router.route(sockjsPath + "/*").subRouter(bridge.router());
    gate = bridge.gate();
    gate.start();
    sweeper = vertx.setPeriodic(30_000, id -> security.sweep());

    router.errorHandler(400, ctx -> HttpApi.fail(ctx, new ApiError(400, "bad_request", "the request is malformed")));
    router.errorHandler(403, ctx -> HttpApi.fail(ctx, new ApiError(403, "forbidden", "the request is not allowed")));
    router.errorHandler(404, ctx -> HttpApi.fail(ctx, new ApiError(404, "not_found",
      "no route for " + ctx.request().method() + " " + HttpApi.abbreviate(ctx.request().path()))));
    router.errorHandler(405, ctx -> HttpApi.fail(ctx, new ApiError(405, "method_not_allowed",
      ctx.request().method() + " is not allowed on " + HttpApi.abbreviate(ctx.request().path()))));
    router.errorHandler(413, ctx -> HttpApi.fail(ctx, new ApiError(413, "body_too_large",
      "the body is larger than gateway.bodyLimit (" + conf.getInteger("bodyLimit") + " bytes)")));
    router.errorHandler(415, ctx -> HttpApi.fail(ctx, new ApiError(415, "unsupported_media_type",
      "content-type must be application/json or application/cloudevents+json")));
    router.errorHandler(500, this::internalError);

    // WebSocket compression off unless asked for: browsers always offer permessage-deflate, and each socket
    // that takes it keeps a deflater and an inflater, about 100 KB of native memory (measured: 122 KB RSS
    // per idle bridge socket with it, 20 KB without), for frames of a few hundred bytes of JSON.
    boolean compression = conf.getJsonObject("sockjs").getBoolean("compression");
    HttpServerOptions options = new HttpServerOptions().setHost(conf.getString("host")).setPort(port(conf))
      .setPerMessageWebSocketCompressionSupported(compression).setPerFrameWebSocketCompressionSupported(compression);
    RawBridgeEndpoint raw = bridge.rawEndpoint(security.origins);
    DirectApiEndpoint direct = new DirectApiEndpoint(api, deliver, security, outcomes, conf.getInteger("bodyLimit"));
    return vertx.createHttpServer(options).requestHandler(req -> {
      if (!direct.handle(req) && !raw.handle(req)) {
        router.handle(bridge.forRouter(req));
      }
    }).listen()
      .onSuccess(s -> {
        server = s;
        listening = true;
        NodeContext.of(vertx).httpListening(s.actualPort());
        int instances = instances(conf);
        if (instances == 1) {
          LOG.info("gateway listening on {}:{}", conf.getString("host"), s.actualPort());
        } else {
          // One line per instance, so that the log shows every event loop that serves the port.
          LOG.info("gateway listening on {}:{} (one of gateway.instances {})", conf.getString("host"), s.actualPort(), instances);
        }
      });
  }

  @Override
  public Future<?> stop() {
    listening = false;
    Future<Void> unsubscribed = Future.succeededFuture();
    if (gate != null) {
      unsubscribed = gate.stop();
      vertx.cancelTimer(sweeper);
    }
    Future<Void> closed = server == null ? Future.succeededFuture() : server.close();
    return Future.join(unsubscribed, closed);
  }

  /**
   * {@code gateway.port}, except that port 0 (any free port) with several instances becomes -1: Vert.x
   * binds each server on port 0 to a port of its own, and a negative port to one free port that every
   * server asking for the same negative port shares.
   */
  static int port(JsonObject conf) {
    int port = conf.getInteger("port");
    return port == 0 && instances(conf) > 1 ? -1 : port;
  }

  /**
   * {@code gateway.instances} as a number: {@code "auto"} is one per core the JVM may use (its CPU
   * affinity and container limit count). Not the default: subscribers on different instances, as on
   * different nodes, may see events published at once on different connections in different orders.
   */
  public static int instances(JsonObject gateway) {
    Object value = gateway.getValue("instances", 1);
    return "auto".equals(value) ? Math.max(1, Runtime.getRuntime().availableProcessors()) : ((Number) value).intValue();
  }

  /** The port actually bound (useful when {@code gateway.port} is 0). */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  private void internalError(RoutingContext ctx) {
    if (ctx.failure() instanceof WebSocketHandshakeException) {
      // A client's broken upgrade (say an unknown Sec-WebSocket-Version) is its mistake, not ours.
      HttpApi.fail(ctx, new ApiError(400, "bad_websocket_handshake", "the WebSocket upgrade request is malformed"));
      return;
    }
    LOG.error("{} {} failed", ctx.request().method(), HttpApi.abbreviate(ctx.request().path()), ctx.failure());
    ctx.put(GatewaySecurity.INTERNAL, true);
    HttpApi.fail(ctx, ApiError.internal());
  }
}
