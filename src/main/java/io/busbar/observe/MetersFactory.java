package io.busbar.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.MicrometerMetricsFactory;

/**
 * Vert.x's Micrometer metrics, but with {@link HttpServerMeters} as the HTTP server's request meters and
 * {@link EventBusMeters} as the event bus's: the two that Vert.x looks up in the registry on every request
 * and message. Both assume the labels {@link Observability} enables (address, side, failure, route, method,
 * code). Options pass through to the Micrometer factory unchanged.
 */
final class MetersFactory implements VertxMetricsFactory {
  private final MicrometerMetricsFactory micrometer;
  private final MeterRegistry registry;
  private final AddressCap cap;

  MetersFactory(MeterRegistry registry, AddressCap cap) {
    this.registry = registry;
    this.cap = cap;
    this.micrometer = new MicrometerMetricsFactory(registry);
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    VertxMetrics m = micrometer.metrics(options);
    return new VertxMetrics() {
      @Override
      public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions o, SocketAddress local) {
        return new HttpServerMeters(registry, m.createHttpServerMetrics(o, local));
      }

      @Override
      public EventBusMetrics<?> createEventBusMetrics() {
        return new EventBusMeters(registry, cap);
      }

      @Override
      public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remote, String type, String namespace) {
        return m.createClientMetrics(remote, type, namespace);
      }

      @Override
      public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions o) {
        return m.createHttpClientMetrics(o);
      }

      @Override
      public TCPMetrics<?> createNetServerMetrics(NetServerOptions o, SocketAddress local) {
        return m.createNetServerMetrics(o, local);
      }

      @Override
      public TCPMetrics<?> createNetClientMetrics(NetClientOptions o) {
        return m.createNetClientMetrics(o);
      }

      @Override
      public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions o) {
        return m.createDatagramSocketMetrics(o);
      }

      @Override
      public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
        return m.createPoolMetrics(type, name, maxSize);
      }

      @Override
      public void vertxCreated(Vertx vertx) {
        m.vertxCreated(vertx);
      }

      @Override
      public boolean isMetricsEnabled() {
        return m.isMetricsEnabled();
      }

      @Override
      public void close() {
        m.close();
      }
    };
  }

  @Override
  public MetricsOptions newOptions() {
    return micrometer.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return micrometer.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return micrometer.newOptions(json);
  }
}
