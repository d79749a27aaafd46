package io.busbar.gateway.security;

import io.busbar.ApiError;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * The gateway's security, shared by the HTTP API and the SockJS bridge: who the caller is
 * ({@link Authenticator}), what it may do ({@link AccessPolicy}), which origins may call
 * ({@link OriginPolicy}), how fast ({@link RateLimiter}s per connection and per token subject) and which
 * headers consumers can trust ({@link TrustedHeaders}).
 * <p>
 * HTTP routes: {@link #admitsOrigin} and {@link #authenticate} run before the API handlers; a handler then
 * calls {@link #authorize} once per (caller, action, address) and stops if it returns false (the error
 * has been answered). Each has a form for a request served without the Router, which does the same.
 */
public final class GatewaySecurity {
  private static final String IDENTITY = "busbar.identity";

  public final AccessPolicy policy;
  public final OriginPolicy origins;
  public final TrustedHeaders headers;
  public final JsonObject limits;
  final Authenticator authenticator;
  final RateLimiter perConnection;
  final RateLimiter perToken;
  private final boolean authEnabled;
  private final String tokenQueryParam;
  private final Responder responder;

  /** How an error reaches the client: the gateway's one JSON error writer. */
  @FunctionalInterface
  public interface Responder {
    void fail(HttpServerRequest request, ApiError error);
  }

  /** Reads key files (blocking): build it at start-up. */
  public GatewaySecurity(Vertx vertx, JsonObject gateway, Responder responder) {
    JsonObject auth = gateway.getJsonObject("auth");
    this.policy = new AccessPolicy(gateway);
    this.origins = new OriginPolicy(gateway.getJsonObject("cors"));
    this.headers = new TrustedHeaders(auth.getString("headerPrefix"));
    this.limits = gateway.getJsonObject("limits");
    this.authEnabled = auth.getBoolean("enabled");
    this.authenticator = authEnabled ? new Authenticator(vertx, auth) : null;
    this.tokenQueryParam = auth.getString("tokenQueryParam");
    this.perConnection = new RateLimiter(limits.getInteger("messagesPerSecondPerConnection"), System::currentTimeMillis);
    // A subject's rate is the node's, whichever gateway instance each of its connections landed on.
    this.perToken = NodeLimits.of(vertx).perToken(limits.getInteger("messagesPerSecondPerToken"));
    this.responder = responder;
  }

  public boolean authEnabled() {
    return authEnabled;
  }

  String tokenQueryParam() {
    return tokenQueryParam;
  }

  /** Drops idle rate-limit state; the gateway calls it now and then. */
  public void sweep() {
    perConnection.sweep(60_000);
    perToken.sweep(60_000);
  }

  /**
   * For the HTTP API, before the body is read: refuses a foreign origin (403 {@code origin_not_allowed}),
   * answers CORS pre-flights and adds CORS headers for listed origins only (credentials only if
   * {@code gateway.cors.allowCredentials} and never with {@code "*"}). False if it answered the request.
   */
  public boolean admitsOrigin(HttpServerRequest request) {
    String origin = request.getHeader("origin");
    if (!origins.permits(request)) {
      responder.fail(request, OriginPolicy.REFUSED);
      return false;
    }
    if (origin != null) {
      HttpServerResponse response = request.response();
      response.putHeader("access-control-allow-origin", origin).putHeader("vary", "origin");
      if (origins.credentials()) {
        response.putHeader("access-control-allow-credentials", "true");
      }
      response.putHeader("access-control-expose-headers", "ce-id, retry-after");
      if (request.method() == HttpMethod.OPTIONS) {
        response.putHeader("access-control-allow-methods", "GET, POST, OPTIONS")
          .putHeader("access-control-allow-headers", "authorization, content-type, ce-id, ce-specversion, ce-source, ce-type, ce-time, ce-subject")
          .putHeader("access-control-max-age", "600")
          .setStatusCode(204).end();
        return false;
      }
    }
    return true;
  }

  /**
   * Plain-route guard for a SockJS transport request: a foreign origin gets 403 before SockJS sees it.
   * The SockJS protocol answers a client's broken input ("Payload expected.", "Broken JSON encoding.",
   * a bad callback) with a 500; those become 400, because the client is at fault. A real failure of the
   * node is marked with {@link #INTERNAL} and stays 500.
   */
  public void sockJsOrigins(RoutingContext ctx) {
    if (!origins.permits(ctx.request())) {
      responder.fail(ctx.request(), OriginPolicy.REFUSED);
      return;
    }
    ctx.addHeadersEndHandler(v -> {
      if (ctx.response().getStatusCode() == 500 && ctx.get(INTERNAL) == null) {
        ctx.response().setStatusCode(400);
      }
    });
    ctx.next();
  }

  /** Set on a routing context whose 500 is the node's own failure. */
  public static final String INTERNAL = "busbar.internalError";

  /**
   * Route handler: verifies an {@code Authorization: Bearer} token (401 {@code invalid_token} if it is
   * bad, whatever the address), remembers the caller (anonymous without a header), and applies the
   * per-connection and per-token rate limits (429 {@code rate_limited} with {@code Retry-After}).
   */
  public void authenticate(RoutingContext ctx) {
    authenticate(ctx.request(), identity -> {
      ctx.put(IDENTITY, identity);
      ctx.next();
    });
  }

  /** The same, for a request served without the Router: {@code admitted} gets the caller unless it was answered. */
  public void authenticate(HttpServerRequest request, Handler<Identity> admitted) {
    String header = request.getHeader("authorization");
    if (!authEnabled || header == null) {
      admit(request, Identity.ANONYMOUS, admitted);
      return;
    }
    if (header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      unauthorized(request);
      return;
    }
    authenticator.authenticate(header.substring(7).trim())
      .onSuccess(identity -> admit(request, identity, admitted))
      .onFailure(e -> unauthorized(request));
  }

  private void admit(HttpServerRequest request, Identity identity, Handler<Identity> admitted) {
    if (request.response().ended()) {
      return;
    }
    long wait = perConnection.tryAcquire(request.connection());
    if (wait == 0 && !identity.anonymous()) {
      wait = perToken.tryAcquire("sub:" + identity.subject());
    }
    if (wait > 0) {
      request.response().putHeader("retry-after", String.valueOf(Math.max(1, (wait + 999) / 1000)));
      responder.fail(request, new ApiError(429, "rate_limited",
        "too many requests: see gateway.limits.messagesPerSecondPerConnection and messagesPerSecondPerToken"));
      return;
    }
    admitted.handle(identity);
  }

  private void unauthorized(HttpServerRequest request) {
    request.response().putHeader("www-authenticate", "Bearer");
    responder.fail(request, new ApiError(401, "invalid_token", "the bearer token is missing, malformed, expired or not valid here"));
  }

  /** The caller {@link #authenticate} found (anonymous if it did not run). */
  public static Identity identity(RoutingContext ctx) {
    Identity id = ctx.get(IDENTITY);
    return id == null ? Identity.ANONYMOUS : id;
  }

  /**
   * The one check of the HTTP side: may this request's caller do {@code action} on {@code address}?
   * If not, the error (401, 403, 400) has been answered and the handler must stop.
   */
  public boolean authorize(RoutingContext ctx, Action action, String address) {
    return authorize(ctx.request(), identity(ctx), action, address);
  }

  /** The same, for a request served without the Router, whose caller {@link #authenticate} found. */
  public boolean authorize(HttpServerRequest request, Identity identity, Action action, String address) {
    Decision d = policy.check(identity, action, address);
    if (d.allowed()) {
      return true;
    }
    if (d == Decision.UNAUTHENTICATED) {
      request.response().putHeader("www-authenticate", "Bearer");
    }
    responder.fail(request, d.toApiError(action, abbreviate(address), policy.maxAddressLength()));
    return false;
  }

  /** Removes client headers in the reserved prefix and adds the caller's trusted identity headers. */
  public void trust(MultiMap busHeaders, Identity identity) {
    headers.apply(busHeaders, identity);
  }

  static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= 120 ? s : s.substring(0, 117) + "...";
  }
}
