package io.busbar.gateway;

import io.busbar.EventIds;
import io.busbar.NodeContext;
import io.busbar.observe.NodeHealth;
import io.busbar.observe.Observability;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The gateway's observability routes: {@code /health}, {@code /ready}, {@code /metrics} (Prometheus
 * text, when {@code metrics.enabled}), the console at {@code /} (when {@code gateway.console.enabled}),
 * and, in front of the HTTP API, a request id ({@code x-request-id}, taken from the request or made up)
 * with one outcome per request counted by status and, with {@code logging.requests}, logged.
 */
final class ObservedRoutes {
  private static final Logger LOG = LoggerFactory.getLogger("io.busbar.access");
  static final String REQUEST_ID = "x-request-id";
  /** Encoded once: every API request reads it and every answer carries it. */
  private static final CharSequence REQUEST_ID_HEADER = HttpHeaders.createOptimized(REQUEST_ID);
  /** Where the console's files are on the classpath (the bridge client is added there at build time). */
  private static final String CONSOLE_ROOT = "io/busbar/console";
  private static final String SOCKJS_ROOT = "META-INF/resources/webjars/sockjs-client/1.6.1/dist";
  private static final List<String> OPERATIONS = List.of("publish", "send", "request", "deliver", "dlq");

  private ObservedRoutes() {
  }

  /** Mounts the routes (none under {@code /api}: see {@link #apiOutcomes}). */
  static void mount(Router router, Vertx vertx, JsonObject gateway, BooleanSupplier listening) {
    Observability observability = Observability.of(vertx);
    NodeHealth health = new NodeHealth(vertx, listening);
    router.get("/health").handler(health::live);
    router.get("/ready").handler(health::ready);
    if (observability.metricsEnabled()) {
      router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(observability.scrape()));
    }
    if (gateway.getJsonObject("console").getBoolean("enabled")) {
      String sockjsPath = gateway.getJsonObject("sockjs").getString("path");
      router.get("/").handler(ctx -> ctx.reroute("/console/index.html"));
      router.get("/console/config.json").handler(ctx -> ctx.response().putHeader("content-type", "application/json")
        .end(new JsonObject().put("sockjsPath", sockjsPath).put("nodeId", NodeContext.of(vertx).nodeId).encode()));
      router.get("/console/vendor/sockjs/*").handler(StaticHandler.create(SOCKJS_ROOT));
      router.get("/console/*").handler(StaticHandler.create(CONSOLE_ROOT).setCachingEnabled(false));
    }
  }

  /** The operation label of {@code /api/<operation>/...}, or {@code other}; without splitting the path (one per request). */
  static String operation(String path) {
    int from = "/api/".length();
    for (String operation : OPERATIONS) {
      int end = from + operation.length();
      if (path.startsWith(operation, from) && (path.length() == end || path.charAt(end) == '/')) {
        return operation;
      }
    }
    return "other";
  }

  static ApiOutcomes apiOutcomes(Vertx vertx) {
    return new ApiOutcomes(Observability.of(vertx), NodeContext.of(vertx).nodeId);
  }

  /**
   * What the HTTP API's first step does with each request before anything else: the request id, and
   * one outcome counted (and logged) when the response headers go out, whoever answers.
   */
  static final class ApiOutcomes {
    private final Observability observability;
    private final String nodeId;

    private ApiOutcomes(Observability observability, String nodeId) {
      this.observability = observability;
      this.nodeId = nodeId;
    }

    /** Through the Router, which owns the response's headers-end handler. */
    void begin(RoutingContext ctx) {
      begin(ctx.request(), ctx::addHeadersEndHandler);
    }

    /** For a request served without the Router. */
    void begin(HttpServerRequest request) {
      begin(request, request.response()::headersEndHandler);
    }

    private void begin(HttpServerRequest request, Consumer<Handler<Void>> onHeadersEnd) {
      String given = request.getHeader(REQUEST_ID_HEADER);
      String requestId = given != null && given.length() <= 128 && !given.isBlank() ? given : EventIds.next();
      // A clock read per request only for the access log that prints it (bench B1: clock reads were 5% of a publish).
      long started = observability.logRequests() ? System.nanoTime() : 0;
      request.response().putHeader(REQUEST_ID_HEADER, requestId);
      onHeadersEnd.accept(v -> {
        int status = request.response().getStatusCode();
        observability.httpApi(operation(request.path()), status);
        if (status == 403) {
          observability.denied("http_inbound");
        }
        if (observability.logRequests()) {
          LOG.atInfo().addKeyValue("nodeId", nodeId).addKeyValue("requestId", requestId)
            .addKeyValue("method", request.method().name()).addKeyValue("path", HttpApi.abbreviate(request.path()))
            .addKeyValue("status", status).addKeyValue("durationMs", (System.nanoTime() - started) / 1_000_000)
            .log("{} {} -> {}", request.method(), HttpApi.abbreviate(request.path()), status);
        }
      });
    }
  }
}
