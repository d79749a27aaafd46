package io.busbar.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MetricsNaming;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Vert.x's HTTP server request meters ({@code vertx_http_server_requests_total}, {@code _response_time},
 * {@code _request_bytes}, {@code _response_bytes}, {@code _active_requests}, {@code _request_resets_total};
 * labels {@code method}, {@code route}, {@code code}), with the same names, labels and descriptions as
 * vertx-micrometer-metrics, but each meter looked up once and then kept. Vert.x's own implementation
 * asks the registry for five meters on every request (building and sorting their tags each time) and
 * joins the names of every route the request passed: a quarter of the CPU of a {@code POST
 * /api/publish} (bench B1). Connection-level meters ({@code _active_connections}, bytes, errors,
 * WebSockets) stay with Vert.x's implementation, which this delegates them to.
 * <p>
 * The route label is the last route the request passed, as {@link Observability}'s filter already made
 * of Vert.x's joined list. Label values are bounded by the routes and status codes the server has; the
 * meter caches are bounded too (past the bound a meter is looked up in the registry each time).
 */
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Request, Object, Object> {
  private static final int MAX_CACHED = 1_000;

  private final MeterRegistry registry;
  private final HttpServerMetrics<Object, Object, Object> connections;
  /** Vert.x's names for them, with the prefix it gives the HTTP server's meters ({@code vertx.http.server.}). */
  private final MetricsNaming names = MetricsNaming.v4Names().withBaseName("vertx." + MetricsDomain.HTTP_SERVER.toCategory() + ".");
  private final Map<HttpMethod, ByMethod> byMethod = new ConcurrentHashMap<>();
  private final Map<Outcome, ByOutcome> byOutcome = new ConcurrentHashMap<>();

  @SuppressWarnings("unchecked")
  HttpServerMeters(MeterRegistry registry, HttpServerMetrics<?, ?, ?> connections) {
    this.registry = registry;
    this.connections = (HttpServerMetrics<Object, Object, Object>) connections;
  }

  /** One request's state, from its beginning to its end. */
  static final class Request {
    final ByMethod meters;
    final long startedNanos = System.nanoTime();
    String route = "";
    boolean requestEnded;
    boolean responseEnded;
    boolean reset;

    Request(ByMethod meters) {
      this.meters = meters;
    }
  }

  /** What depends on the method only: the request starts before it is routed or answered. */
  static final class ByMethod {
    final String method;
    final LongAdder active = new LongAdder();
    final DistributionSummary requestBytes;
    final Counter resets;

    ByMethod(String method, MeterRegistry registry, MetricsNaming names) {
      this.method = method;
      Gauge.builder(names.getHttpActiveRequests(), active, LongAdder::doubleValue)
        .description("Number of requests being processed").tag("method", method).register(registry);
      requestBytes = DistributionSummary.builder(names.getHttpRequestBytes()).description("Size of requests in bytes")
        .tag("method", method).register(registry);
      resets = Counter.builder(names.getHttpRequestResetsCount()).description("Number of request resets")
        .tag("method", method).register(registry);
    }
  }

  private record Outcome(String method, String route, int code) {
  }

  private static final class ByOutcome {
    final Counter requests;
    final Timer time;
    final DistributionSummary responseBytes;

    ByOutcome(Outcome o, MeterRegistry registry, MetricsNaming names) {
      String code = String.valueOf(o.code());
      requests = Counter.builder(names.getHttpRequestsCount()).description("Number of processed requests")
        .tag("method", o.method()).tag("route", o.route()).tag("code", code).register(registry);
      time = Timer.builder(names.getHttpResponseTime()).description("Request processing time")
        .tag("method", o.method()).tag("route", o.route()).tag("code", code).register(registry);
      responseBytes = DistributionSummary.builder(names.getHttpResponseBytes()).description("Size of responses in bytes")
        .tag("method", o.method()).tag("route", o.route()).tag("code", code).register(registry);
    }
  }

  private ByMethod byMethod(HttpMethod method) {
    ByMethod m = byMethod.get(method);
    if (m == null) {
      m = byMethod.size() < MAX_CACHED ? byMethod.computeIfAbsent(method, k -> new ByMethod(k.name(), registry, names))
        : new ByMethod(method.name(), registry, names);
    }
    return m;
  }

  private ByOutcome byOutcome(Outcome key) {
    ByOutcome o = byOutcome.get(key);
    if (o == null) {
      o = byOutcome.size() < MAX_CACHED ? byOutcome.computeIfAbsent(key, k -> new ByOutcome(k, registry, names))
        : new ByOutcome(key, registry, names);
    }
    return o;
  }

  @Override
  public Request requestBegin(Object socketMetric, HttpRequest request) {
    return begin(request.method());
  }

  @Override
  public Request responsePushed(Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
    return begin(method);
  }

  private Request begin(HttpMethod method) {
    Request r = new Request(byMethod(method));
    r.meters.active.increment();
    return r;
  }

  @Override
  public void requestRouted(Request r, String route) {
    if (route != null) {
      r.route = route;
    }
  }

  @Override
  public void requestEnd(Request r, HttpRequest request, long bytesRead) {
    r.meters.requestBytes.record(bytesRead);
    r.requestEnded = true;
    if (!r.reset && r.responseEnded) {
      r.meters.active.decrement();
    }
  }

  @Override
  public void responseEnd(Request r, HttpResponse response, long bytesWritten) {
    ByOutcome o = byOutcome(new Outcome(r.meters.method, r.route, response.statusCode()));
    o.requests.increment();
    o.time.record(System.nanoTime() - r.startedNanos, TimeUnit.NANOSECONDS);
    o.responseBytes.record(bytesWritten);
    r.responseEnded = true;
    if (!r.reset && r.requestEnded) {
      r.meters.active.decrement();
    }
  }

  @Override
  public void requestReset(Request r) {
    r.meters.resets.increment();
    r.meters.active.decrement();
    r.reset = true;
  }

  // Connections, bytes and WebSockets: Vert.x's own meters, for connections that have a socket metric. One
  // that Vert.x accepted in the moment between binding the port and creating the server's metrics has none
  // (NetServerImpl creates them after the bind, and a client retrying a restarting node connects then):
  // Vert.x's meters threw a NullPointerException for every answer on it and on its close, which broke off
  // the close's cleanup. Such a connection is simply not counted.

  @Override
  public Object connected(Object socketMetric, Request requestMetric, ServerWebSocket webSocket) {
    // Vert.x's implementation tags the WebSocket by the connection only; it never reads the request.
    return socketMetric == null ? null : connections.connected(socketMetric, null, webSocket);
  }

  @Override
  public void disconnected(Object webSocketMetric) {
    if (webSocketMetric != null) {
      connections.disconnected(webSocketMetric);
    }
  }

  @Override
  public Object connected(SocketAddress remoteAddress, String remoteName) {
    return connections.connected(remoteAddress, remoteName);
  }

  @Override
  public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
    if (socketMetric != null) {
      connections.disconnected(socketMetric, remoteAddress);
    }
  }

  @Override
  public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    if (socketMetric != null) {
      connections.bytesRead(socketMetric, remoteAddress, numberOfBytes);
    }
  }

  @Override
  public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    if (socketMetric != null) {
      connections.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
    }
  }

  @Override
  public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
    if (socketMetric != null) {
      connections.exceptionOccurred(socketMetric, remoteAddress, t);
    }
  }

  @Override
  public void close() {
    connections.close();
  }
}
