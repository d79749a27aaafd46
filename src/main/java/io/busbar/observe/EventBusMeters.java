package io.busbar.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MetricsNaming;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Vert.x's event-bus meters ({@code vertx_eventbus_handlers}, {@code _pending}, {@code _processed_total},
 * {@code _published_total}, {@code _sent_total}, {@code _received_total}, {@code _delivered_total},
 * {@code _discarded_total}, {@code _reply_failures_total}, {@code _bytes_read}, {@code _bytes_written}; labels
 * {@code address}, {@code side}, {@code failure}) with the same names, labels and descriptions as
 * vertx-micrometer-metrics, but the meters of an address looked up once and kept. Vert.x's own
 * implementation asks the registry for two or three meters on every message, each lookup running the
 * {@link AddressCap} filter (a lock): 5% of the CPU of an HTTP publish (bench B1).
 * <p>
 * The meters of an address are kept per label ({@link AddressCap}: the address itself, or {@code other}
 * past {@code metrics.maxAddresses}), so label values and kept meters stay bounded; the address to label
 * cache in front of that is bounded too (past it the label is asked for on each message). Vert.x's
 * internal addresses ({@code __vertx.*}) are not measured, as in Vert.x.
 */
final class EventBusMeters implements EventBusMetrics<EventBusMeters.ByAddress> {
  private static final int MAX_CACHED_ADDRESSES = 10_000;

  private final MeterRegistry registry;
  private final AddressCap cap;
  private final MetricsNaming names = MetricsNaming.v4Names().withBaseName("vertx." + MetricsDomain.EVENT_BUS.toCategory() + ".");
  private final Map<String, ByAddress> byLabel = new ConcurrentHashMap<>();
  private final Map<String, ByAddress> byAddress = new ConcurrentHashMap<>();

  EventBusMeters(MeterRegistry registry, AddressCap cap) {
    this.registry = registry;
    this.cap = cap;
  }

  /** A meter registered on first use: like Vert.x, a series appears once it has something to count. */
  private static final class Lazy<M> {
    private final Supplier<M> register;
    /** Racing first uses both register; the registry returns the same meter to both. */
    private volatile M meter;

    Lazy(Supplier<M> register) {
      this.register = register;
    }

    M get() {
      M m = meter;
      if (m == null) {
        m = register.get();
        meter = m;
      }
      return m;
    }
  }

  /** One side's meters of one address label. */
  static final class BySide {
    final LongAdder pending = new LongAdder();
    private final Lazy<Gauge> pendingGauge;
    private final Lazy<Counter> processed;
    private final Lazy<Counter> discarded;
    private final Lazy<Counter> published;
    private final Lazy<Counter> sent;
    private final Lazy<Counter> received;
    private final Lazy<Counter> delivered;

    BySide(String address, String side, MeterRegistry registry, MetricsNaming names) {
      pendingGauge = new Lazy<>(() -> Gauge.builder(names.getEbPending(), pending, LongAdder::doubleValue)
        .description("Number of messages not processed yet").tag("address", address).tag("side", side).register(registry));
      processed = counter(names.getEbProcessed(), "Number of processed messages", address, side, registry);
      discarded = counter(names.getEbDiscarded(), "Number of discarded messages", address, side, registry);
      published = counter(names.getEbPublished(), "Number of messages published (publish / subscribe)", address, side, registry);
      sent = counter(names.getEbSent(), "Number of messages sent (point-to-point)", address, side, registry);
      received = counter(names.getEbReceived(), "Number of messages received", address, side, registry);
      delivered = counter(names.getEbDelivered(), "Number of messages delivered to handlers", address, side, registry);
    }

    private static Lazy<Counter> counter(String name, String description, String address, String side, MeterRegistry registry) {
      return new Lazy<>(() -> Counter.builder(name).description(description).tag("address", address).tag("side", side).register(registry));
    }

    LongAdder pending() {
      pendingGauge.get();
      return pending;
    }
  }

  /** The meters of one address label; also what a registered handler carries. */
  static final class ByAddress {
    final LongAdder handlers = new LongAdder();
    private final Lazy<Gauge> handlersGauge;
    final BySide local;
    final BySide remote;
    private final Lazy<DistributionSummary> bytesWritten;
    private final Lazy<DistributionSummary> bytesRead;
    private final Map<ReplyFailure, Lazy<Counter>> replyFailures = new EnumMap<>(ReplyFailure.class);

    /** @param address the first address of this label: the registry's filter maps it to the label */
    ByAddress(String address, MeterRegistry registry, MetricsNaming names) {
      handlersGauge = new Lazy<>(() -> Gauge.builder(names.getEbHandlers(), handlers, LongAdder::doubleValue)
        .description("Number of event bus handlers in use").tag("address", address).register(registry));
      local = new BySide(address, "local", registry, names);
      remote = new BySide(address, "remote", registry, names);
      bytesWritten = new Lazy<>(() -> DistributionSummary.builder(names.getEbBytesWritten())
        .description("Number of bytes sent while sending messages to event bus cluster peers").tag("address", address).register(registry));
      bytesRead = new Lazy<>(() -> DistributionSummary.builder(names.getEbBytesRead())
        .description("Number of bytes received while reading messages from event bus cluster peers").tag("address", address).register(registry));
      for (ReplyFailure failure : ReplyFailure.values()) {
        replyFailures.put(failure, new Lazy<>(() -> Counter.builder(names.getEbReplyFailures()).description("Number of message reply failures")
          .tag("address", address).tag("failure", failure.name()).register(registry)));
      }
    }

    BySide side(boolean local) {
      return local ? this.local : remote;
    }

    /** What Vert.x registers with a handler: its count, and both sides' pending, processed and discarded. */
    void handlerAdded() {
      handlersGauge.get();
      handlers.increment();
      for (BySide side : new BySide[] {local, remote}) {
        side.pending();
        side.processed.get();
        side.discarded.get();
      }
    }
  }

  private static boolean internal(String address) {
    return address.startsWith("__vertx.");
  }

  /** The meters of {@code address}, or null for Vert.x's internal addresses. */
  private ByAddress meters(String address) {
    if (internal(address)) {
      return null;
    }
    ByAddress m = byAddress.get(address);
    if (m == null) {
      m = byLabel.computeIfAbsent(cap.label(address), label -> new ByAddress(address, registry, names));
      if (byAddress.size() < MAX_CACHED_ADDRESSES) {
        byAddress.put(address, m);
      }
    }
    return m;
  }

  @Override
  public ByAddress handlerRegistered(String address) {
    ByAddress m = meters(address);
    if (m != null) {
      m.handlerAdded();
    }
    return m;
  }

  @Override
  public void handlerUnregistered(ByAddress m) {
    if (m != null) {
      m.handlers.decrement();
    }
  }

  @Override
  public void messageDelivered(ByAddress m, boolean local) {
    if (m != null) {
      BySide side = m.side(local);
      side.pending.decrement();
      side.processed.get().increment();
    }
  }

  @Override
  public void discardMessage(ByAddress m, boolean local, Message<?> msg) {
    if (m != null) {
      BySide side = m.side(local);
      side.pending.decrement();
      side.discarded.get().increment();
    }
  }

  @Override
  public void messageSent(String address, boolean publish, boolean local, boolean remote) {
    ByAddress m = meters(address);
    if (m != null) {
      BySide side = m.side(local);
      (publish ? side.published : side.sent).get().increment();
    }
  }

  @Override
  public void messageReceived(String address, boolean publish, boolean local, int handlers) {
    ByAddress m = meters(address);
    if (m != null) {
      BySide side = m.side(local);
      side.received.get().increment();
      if (handlers > 0) {
        side.pending().add(handlers);
        side.delivered.get().increment();
      }
    }
  }

  @Override
  public void messageWritten(String address, int numberOfBytes) {
    ByAddress m = meters(address);
    if (m != null) {
      m.bytesWritten.get().record(numberOfBytes);
    }
  }

  @Override
  public void messageRead(String address, int numberOfBytes) {
    ByAddress m = meters(address);
    if (m != null) {
      m.bytesRead.get().record(numberOfBytes);
    }
  }

  @Override
  public void replyFailure(String address, ReplyFailure failure) {
    ByAddress m = meters(address);
    if (m != null) {
      m.replyFailures.get(failure).get().increment();
    }
  }
}
