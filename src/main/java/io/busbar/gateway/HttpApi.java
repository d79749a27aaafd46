package io.busbar.gateway;

import io.busbar.Addresses;
import io.busbar.ApiError;
import io.busbar.EventIds;
import io.busbar.NodeContext;
import io.busbar.cluster.QuietAddressCache;
import io.busbar.gateway.security.Action;
import io.busbar.gateway.security.GatewaySecurity;
import io.busbar.gateway.security.Identity;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.Json;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The HTTP side of the bridge: {@code POST /api/publish|send|request/{address}} put an event on the
 * bus for any address that {@code gateway.inbound} permits. Requests wait at most {@code ?timeout=}
 * (default {@code gateway.requestTimeoutMs}, capped by {@code gateway.maxRequestTimeoutMs}). Every
 * failure is answered through {@link #fail} as JSON with a stable error code.
 */
final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final Set<String> RESERVED_RESPONSE_HEADERS =
    Set.of("content-type", "content-length", "transfer-encoding", "connection", Addresses.HEADER_ID);
  /** Encoded once: the 202 of every publish and send carries it. */
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

  private final EventBus eventBus;
  private final Predicate<String> knownQuiet;
  private final NodeContext node;
  private final GatewaySecurity security;
  private final long defaultTimeoutMs;
  private final long maxTimeoutMs;

  HttpApi(Vertx vertx, JsonObject gateway, GatewaySecurity security) {
    this.eventBus = vertx.eventBus();
    this.knownQuiet = QuietAddressCache.knownQuiet(vertx);
    this.node = NodeContext.of(vertx);
    this.security = security;
    this.defaultTimeoutMs = gateway.getInteger("requestTimeoutMs");
    this.maxTimeoutMs = gateway.getInteger("maxRequestTimeoutMs");
  }

  void publish(RoutingContext ctx) {
    put(ctx.request(), GatewaySecurity.identity(ctx), Action.PUBLISH, ctx.pathParam("address"), ctx.body().buffer());
  }

  void send(RoutingContext ctx) {
    put(ctx.request(), GatewaySecurity.identity(ctx), Action.SEND, ctx.pathParam("address"), ctx.body().buffer());
  }

  /**
   * Publishes or sends the request's event and answers {@code 202 {"id"}}, or answers why not: what
   * {@link #publish} and {@link #send} do, also for a request served without the Router
   * ({@link DirectApiEndpoint}). {@code body} may be null (no body).
   */
  void put(HttpServerRequest request, Identity identity, Action action, String address, Buffer body) {
    IncomingEvent event = accept(request, identity, action, address, body);
    if (event == null) {
      return;
    }
    DeliveryOptions options = options(event);
    if (knownQuiet.test(address)) {
      // No subscriber anywhere in the cluster, as of a moment ago: Vert.x would deliver to this node's
      // local-only consumers alone, after its node selector built and dropped an entry for the address
      // (about a quarter of the CPU of such a publish: +38% req/s in bench B1). Local-only goes there directly.
      options.setLocalOnly(true);
    }
    if (action == Action.PUBLISH) {
      eventBus.publish(address, event.body(), options);
    } else {
      eventBus.send(address, event.body(), options);
    }
    request.response().setStatusCode(202).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(acceptedBody(event.id()));
  }

  void request(RoutingContext ctx) {
    Long timeout = timeout(ctx);
    String address = ctx.pathParam("address");
    IncomingEvent event = timeout == null ? null
      : accept(ctx.request(), GatewaySecurity.identity(ctx), Action.REQUEST, address, ctx.body().buffer());
    if (event == null) {
      return;
    }
    eventBus.request(address, event.body(), options(event).setSendTimeout(timeout))
      .onSuccess(reply -> replied(ctx, event, reply))
      .onFailure(failure -> fail(ctx, ApiError.fromEventBus(failure, address)));
  }

  /**
   * Checks permission and reads the event; on a problem answers it and returns null. Client headers in
   * the reserved prefix never reach the bus; the caller's trusted identity headers are added.
   */
  private IncomingEvent accept(HttpServerRequest request, Identity identity, Action action, String address, Buffer body) {
    if (!security.authorize(request, identity, action, address)) {
      return null;
    }
    IncomingEvent event = readEvent(request, body, identity, security);
    if (event != null) {
      node.eventsIn.incrementAndGet();
    }
    return event;
  }

  /**
   * The request as an event for the bus: client headers in the reserved prefix are dropped and the
   * caller's trusted identity headers added. On a malformed event answers the error and returns null.
   */
  static IncomingEvent readEvent(RoutingContext ctx, GatewaySecurity security) {
    return readEvent(ctx.request(), ctx.body().buffer(), GatewaySecurity.identity(ctx), security);
  }

  private static IncomingEvent readEvent(HttpServerRequest request, Buffer body, Identity identity, GatewaySecurity security) {
    MultiMap requestHeaders = request.headers();
    // A reserved header is not there at all, as in the copy below; a repeated one gives its first value.
    UnaryOperator<String> header = name -> security.headers.reserved(name) ? null : requestHeaders.get(name);
    Supplier<Map<String, String>> allHeaders = () -> {
      Map<String, String> headers = new HashMap<>();
      requestHeaders.forEach(h -> {
        if (!security.headers.reserved(h.getKey())) {
          headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue());
        }
      });
      return headers;
    };
    try {
      IncomingEvent event = IncomingEvent.read(header, allHeaders, body == null ? new byte[0] : body.getBytes(), EventIds::next);
      security.trust(event.headers(), identity);
      return event;
    } catch (IncomingEvent.Rejected rejected) {
      fail(request, rejected.error);
      return null;
    }
  }

  private Long timeout(RoutingContext ctx) {
    String text = ctx.queryParams().get("timeout");
    if (text == null) {
      return defaultTimeoutMs;
    }
    try {
      long ms = Long.parseLong(text);
      if (ms >= 1 && ms <= maxTimeoutMs) {
        return ms;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    fail(ctx, new ApiError(400, "invalid_timeout", "timeout must be a whole number of milliseconds from 1 to " + maxTimeoutMs));
    return null;
  }

  private static DeliveryOptions options(IncomingEvent event) {
    return new DeliveryOptions().setHeaders(event.headers());
  }

  /**
   * {@code {"id":...}} exactly as {@code new JsonObject().put("id", id).encode()} writes it. An id of plain
   * printable ASCII without a quote or backslash (every generated id, most given ones) needs no escaping,
   * so it is written directly; any other id goes through Jackson as before.
   */
  static String acceptedBody(String id) {
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
        return new JsonObject().put("id", id).encode();
      }
    }
    return "{\"id\":\"" + id + "\"}";
  }

  /** The reply's headers become response headers (which node answered, say); {@code ce-id} stays the request's id. */
  private static void replied(RoutingContext ctx, IncomingEvent event, Message<Object> reply) {
    HttpServerResponse response = ctx.response();
    reply.headers().forEach(h -> {
      if (!RESERVED_RESPONSE_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        try {
          response.putHeader(h.getKey(), h.getValue());
        } catch (IllegalArgumentException notAnHttpHeader) {
          // A bus header need not be a valid HTTP header; it is simply not passed on.
        }
      }
    });
    response.setStatusCode(200).putHeader("content-type", "application/json")
      .putHeader(Addresses.HEADER_ID, event.id())
      .end(Json.encode(reply.body()));
  }

  /** The one way the gateway answers an error. */
  static void fail(RoutingContext ctx, ApiError error) {
    fail(ctx.request(), error);
  }

  /** The same, for a request answered before the Router (the raw bridge endpoint). */
  static void fail(HttpServerRequest request, ApiError error) {
    if (request.response().ended()) {
      return;
    }
    if (error.status() >= 500) {
      LOG.warn("{} {} -> {} {}", request.method(), abbreviate(request.path()), error.status(), error.code());
    }
    request.response().setStatusCode(error.status()).putHeader("content-type", "application/json")
      .end(error.toJson().encode());
  }

  static String abbreviate(String s) {
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }
}
