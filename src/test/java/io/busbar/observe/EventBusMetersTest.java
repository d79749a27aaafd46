package io.busbar.observe;

import io.busbar.testing.Wait;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link EventBusMeters} is a drop-in: the same traffic through Vert.x's own event-bus meters and through
 * Busbar's gives the same {@code /metrics} lines (names, labels, descriptions and values), including
 * addresses past the {@link AddressCap} and every kind of reply failure.
 */
class EventBusMetersTest {
  @Test
  void sameSeriesAsVertxOwnEventBusMeters() throws Exception {
    List<String> vertx = run(registry -> new MicrometerMetricsFactory(registry));
    List<String> busbar = run(registry -> new MetersFactory(registry, new AddressCap(3)));
    assertThat(busbar).isNotEmpty().isEqualTo(vertx);
    assertThat(String.join("\n", busbar)).contains("address=\"other\"").contains("failure=\"NO_HANDLERS\"")
      .contains("failure=\"TIMEOUT\"").contains("failure=\"RECIPIENT_FAILURE\"").contains("vertx_eventbus_pending");
  }

  /** The same traffic on a Vert.x built with {@code factory}; its event-bus lines of {@code /metrics}, sorted. */
  private static List<String> run(Function<PrometheusMeterRegistry, VertxMetricsFactory> factory) throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().meterFilter(new AddressCap(3));
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
      .setLabels(EnumSet.of(Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE)));
    Vertx vertx = Vertx.builder().with(options).withMetrics(factory.apply(registry)).build();
    try {
      EventBus bus = vertx.eventBus();
      AtomicInteger handled = new AtomicInteger();
      List<MessageConsumer<Object>> consumers = new ArrayList<>();
      for (String address : List.of("a", "a", "b", "c", "d", "e")) {
        consumers.add(bus.consumer(address, m -> {
          handled.incrementAndGet();
          switch (String.valueOf(m.body())) {
            case "reply" -> m.reply("ok");
            case "fail" -> m.fail(7, "no");
            default -> { }
          }
        }));
      }
      Wait.await(Future.all(consumers.stream().map(MessageConsumer::completion).toList()));
      for (int i = 0; i < 3; i++) {
        bus.publish("a", i);
      }
      bus.send("b", "x");
      bus.send("nobody", "x");
      bus.publish("d", "x");
      bus.publish("e", "x");
      Wait.await(bus.request("b", "reply"));
      Wait.await(bus.request("c", "fail").otherwiseEmpty());
      Wait.await(bus.request("nobody", "x").otherwiseEmpty());
      Wait.await(bus.request("c", "silent", new DeliveryOptions().setSendTimeout(50)).otherwiseEmpty());
      Wait.until("every message handled", () -> handled.get() == 3 * 2 + 1 + 2 + 3);
      Wait.await(consumers.get(0).unregister());
      return registry.scrape().lines().filter(l -> l.contains("vertx_eventbus_")).sorted().toList();
    } finally {
      Wait.await(vertx.close());
      registry.close();
    }
  }
}
