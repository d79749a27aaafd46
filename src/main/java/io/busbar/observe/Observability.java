package io.busbar.observe;

import io.busbar.Addresses;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * One node's metrics and readiness settings (the top-level {@code metrics} section and
 * {@code cluster.minMembers}), kept in the Vert.x instance's local shared data like {@link io.busbar.NodeContext}.
 * It owns the node's Prometheus registry: Vert.x's own metrics (event bus by address, HTTP server by route)
 * and JVM and process metrics go there, and so do Busbar's own meters, recorded through the methods below.
 * Every {@code address} label is bounded by {@link AddressCap}.
 */
public final class Observability implements Shareable {
  private static final String MAP = "busbar.node";
  private static final String KEY = "observability";

  private final boolean enabled;
  private final int minMembers;
  private final boolean logRequests;
  private final AddressCap addressCap;
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicInteger> socketsByTransport = new ConcurrentHashMap<>();
  private final HeartbeatView heartbeats = new HeartbeatView();
  private final JvmGcMetrics gc = new JvmGcMetrics();
  /**
   * Busbar's counters, looked up once: registering a meter again on every request or frame runs every
   * meter filter and the registry's lookups each time (a measurable share of a request's CPU).
   * Keys are bounded: operations x statuses, reasons, directions x address labels ({@link AddressCap}).
   */
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  private Observability(JsonObject config) {
    JsonObject metrics = config.getJsonObject("metrics");
    this.enabled = metrics.getBoolean("enabled");
    this.minMembers = config.getJsonObject("cluster").getInteger("minMembers");
    this.logRequests = config.getJsonObject("logging").getBoolean("requests");
    this.addressCap = new AddressCap(metrics.getInteger("maxAddresses"));
    registry.config().meterFilter(addressCap);
  }


  /** Reads the (validated) configuration; call {@link #configure} before building Vert.x. */
  public static Observability create(JsonObject config) {
    return new Observability(config);
  }

  /** Adds Vert.x's Micrometer metrics to the builder when {@code metrics.enabled}. */
  public VertxBuilder configure(VertxBuilder builder, VertxOptions options) {
    if (!enabled) {
      return builder.with(options);
    }
    // Only labels with a bounded set of values: never the HTTP path (unbounded), the route instead.
    options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
      .setLabels(EnumSet.of(Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE, Label.HTTP_ROUTE, Label.HTTP_METHOD,
        Label.HTTP_CODE, Label.POOL_TYPE, Label.POOL_NAME)));
    return builder.with(options).withMetrics(new MetersFactory(registry, addressCap));
  }

  /** Binds the JVM, process and cluster meters and makes this findable with {@link #of}. */
  public void register(Vertx vertx, IntSupplier clusterSize) {
    if (enabled) {
      new JvmMemoryMetrics().bindTo(registry);
      gc.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
      new ProcessorMetrics().bindTo(registry);
      new UptimeMetrics().bindTo(registry);
      new FileDescriptorMetrics().bindTo(registry);
    }
    Gauge.builder("busbar.cluster.members", clusterSize::getAsInt)
      .description("Cluster members as Hazelcast sees them from this node").register(registry);
    Gauge.builder("busbar.cluster.nodes.heartbeating", heartbeats, HeartbeatView::live)
      .description("Nodes whose heartbeat on busbar.nodes arrived recently (producer role with heartbeat on)")
      .register(registry);
    // Every node listens, whatever its roles: a gateway-only node still knows who is heartbeating.
    vertx.eventBus().<Object>consumer(Addresses.NODES, m -> {
      if (m.body() instanceof JsonObject stats && stats.getString("nodeId") != null) {
        heartbeats.seen(stats.getString("nodeId"), System.currentTimeMillis());
      }
    });
    vertx.sharedData().<String, Observability>getLocalMap(MAP).put(KEY, this);
  }

  /** Releases what {@link #register} bound (the GC listener). */
  public void close() {
    gc.close();
    registry.close();
  }

  public static Observability of(Vertx vertx) {
    Observability o = vertx.sharedData().<String, Observability>getLocalMap(MAP).get(KEY);
    if (o == null) {
      throw new IllegalStateException("not a Busbar node: start Vert.x with BusbarNode.start");
    }
    return o;
  }

  public boolean metricsEnabled() {
    return enabled;
  }

  /** {@code logging.requests}: one log line per HTTP API request. */
  public boolean logRequests() {
    return logRequests;
  }

  public int minMembers() {
    return minMembers;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  public HeartbeatView heartbeats() {
    return heartbeats;
  }

  public void socketOpened(String transport) {
    sockets(transport).incrementAndGet();
  }

  public void socketClosed(String transport) {
    sockets(transport).decrementAndGet();
  }

  private AtomicInteger sockets(String transport) {
    return socketsByTransport.computeIfAbsent(transport, t -> {
      AtomicInteger open = new AtomicInteger();
      Gauge.builder("busbar.sockjs.sockets.open", open, AtomicInteger::get).tag("transport", t)
        .description("Open SockJS sockets by transport").register(registry);
      return open;
    });
  }

  /** A message crossing the SockJS bridge: {@code in} from a client, {@code out} to a client. */
  public void bridgeMessage(String direction, String address) {
    bridgeMessages(direction, address, 1);
  }

  /** {@code count} messages crossing the bridge on one address at once (one event fanned out to sockets). */
  public void bridgeMessages(String direction, String address, long count) {
    // Keyed by the label, not the address: past the cap every address shares the "other" counter, and the
    // cache stays as bounded as the labels. The first address of a label registers it exactly as before.
    String label = addressCap.label(address);
    Counter counter = counters.get(direction + '\n' + label);
    if (counter == null) {
      counter = counters.computeIfAbsent(direction + '\n' + label, k -> Counter.builder("busbar.bridge.messages")
        .tag("direction", direction).tag(AddressCap.TAG, address)
        .description("Messages across the SockJS bridge by direction and address").register(registry));
    }
    counter.increment(count);
  }

  /** A request refused: {@code reason} is a stable code such as {@code sockjs_inbound}. */
  public void denied(String reason) {
    counters.computeIfAbsent("denied\n" + reason, k -> Counter.builder("busbar.denied").tag("reason", reason)
      .description("Requests refused by the gateway, by reason").register(registry)).increment();
  }

  /** The outcome of one HTTP API request. */
  public void httpApi(String operation, int status) {
    String key = operation + '\n' + status;
    Counter counter = counters.get(key);
    if (counter == null) {
      counter = counters.computeIfAbsent(key, k -> Counter.builder("busbar.http.api.requests").tag("operation", operation)
        .tag("status", String.valueOf(status))
        .description("HTTP API requests by operation and response status").register(registry));
    }
    counter.increment();
  }

  /**
   * Messages put on the bus from this node (published plus sent) so far, by address label, from Vert.x's
   * event-bus meters; empty when metrics are off. The heartbeat turns these into rates.
   */
  public Map<String, Double> eventBusTraffic() {
    Map<String, Double> totals = new HashMap<>();
    if (!enabled) {
      return totals;
    }
    for (Meter meter : registry.getMeters()) {
      String name = meter.getId().getName();
      String address = meter.getId().getTag(AddressCap.TAG);
      if (address != null && meter instanceof Counter counter
        && (name.equals("vertx.eventbus.published") || name.equals("vertx.eventbus.sent"))) {
        // One message to handlers here and elsewhere is counted once per side: keep the larger side.
        totals.merge(address + "\n" + name, counter.count(), Math::max);
      }
    }
    Map<String, Double> byAddress = new HashMap<>();
    totals.forEach((key, count) -> byAddress.merge(key.substring(0, key.indexOf('\n')), count, Double::sum));
    return byAddress;
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape() {
    return registry.scrape();
  }
}
