package io.busbar.observe;

import io.busbar.testing.Wait;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.micrometer.MicrometerMetricsOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * {@link HttpServerMeters}' connection meters on a connection without a socket metric: one Vert.x accepted
 * between binding the port and creating the server's metrics (a client retrying a restarting node). Vert.x's
 * own meters threw a NullPointerException for each of its answers and on its close (seen in the bench's
 * node logs right after start-up); such a connection is left uncounted, and counted connections still are.
 */
class HttpServerMetersTest {
  private static final SocketAddress CLIENT = SocketAddress.inetSocketAddress(40000, "127.0.0.1");

  private PrometheusMeterRegistry registry;
  private Vertx vertx;
  private HttpServerMetrics<Object, Object, Object> meters;

  @BeforeEach
  @SuppressWarnings("unchecked")
  void setUp() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    vertx = Vertx.builder().with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
      .withMetrics(new MetersFactory(registry, new AddressCap(10))).build();
    meters = (HttpServerMetrics<Object, Object, Object>) ((VertxInternal) vertx).metrics()
      .createHttpServerMetrics(new HttpServerOptions(), SocketAddress.inetSocketAddress(8080, "127.0.0.1"));
  }

  @AfterEach
  void tearDown() {
    Wait.await(vertx.close());
    registry.close();
  }

  @Test
  void aConnectionWithoutSocketMetricIsLeftUncounted() {
    assertThat(meters).isInstanceOf(HttpServerMeters.class);
    assertThatCode(() -> {
      meters.bytesRead(null, CLIENT, 100);
      meters.bytesWritten(null, CLIENT, 200);
      meters.exceptionOccurred(null, CLIENT, new IOException("reset"));
      assertThat(meters.connected(null, null, null)).isNull();
      meters.disconnected(null);
      meters.disconnected(null, CLIENT);
    }).doesNotThrowAnyException();
    assertThat(registry.scrape().lines()).doesNotContain("vertx_http_server_bytes_written_total 200.0")
      .doesNotContain("vertx_http_server_bytes_read_total 100.0");
  }

  @Test
  void aConnectionWithSocketMetricIsStillCounted() {
    Object socket = meters.connected(CLIENT, "client");
    assertThat(socket).isNotNull();
    meters.bytesWritten(socket, CLIENT, 200);
    meters.disconnected(socket, CLIENT);
    assertThat(registry.scrape().lines()).contains("vertx_http_server_bytes_written_total 200.0");
  }
}
