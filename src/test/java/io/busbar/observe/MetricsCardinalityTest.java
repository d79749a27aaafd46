package io.busbar.observe;

import io.busbar.testing.BridgeClient;
import io.busbar.testing.ForkedNode;
import io.busbar.testing.OneNode;
import io.busbar.testing.Wait;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 10,000 distinct addresses through the SockJS bridge (so through the bus too) must not give 10,000 time
 * series: with {@code metrics.maxAddresses} 50 the address label has at most 50 names plus
 * {@code other} and {@code __vertx.reply}, and no message goes uncounted.
 */
class MetricsCardinalityTest {
  private static final int ADDRESSES = 10_000;
  private static final int MAX = 50;

  @RegisterExtension
  static final OneNode node = new OneNode(conf -> {
    conf.getJsonObject("metrics").put("maxAddresses", MAX);
    // The burst below goes through one connection: lift the per-connection rate limit, not under test here.
    conf.getJsonObject("gateway").getJsonObject("limits").put("messagesPerSecondPerConnection", 1_000_000)
      .put("messagesPerSecondPerToken", 1_000_000);
  });

  private static Scrape scrape() {
    return Scrape.of(node.port());
  }

  @Test
  void tenThousandAddressesStayWithinTheCap() throws Exception {
    long started = System.nanoTime();
    try (BridgeClient bridge = BridgeClient.connect(node.port(), null)) {
      for (int i = 0; i < ADDRESSES; i++) {
        bridge.send(new JsonObject().put("type", "publish").put("address", "events.card." + i).put("body", new JsonObject().put("i", i)));
      }
      Wait.until("all " + ADDRESSES + " bridge messages counted", Duration.ofSeconds(60),
        () -> scrape().sum("busbar_bridge_messages_total", "direction", "in") >= ADDRESSES);
    }
    Scrape after = scrape();
    Set<String> addresses = after.samples().stream().map(s -> s.labels().get("address")).filter(a -> a != null)
      .collect(Collectors.toSet());
    System.out.printf("%d addresses used, %d address label values, %d series in all, %d ms%n",
      ADDRESSES, addresses.size(), after.samples().size(), (System.nanoTime() - started) / 1_000_000);

    assertThat(addresses).hasSizeLessThanOrEqualTo(MAX + 2).contains(AddressCap.OTHER);
    assertThat(after.sum("busbar_bridge_messages_total", "direction", "in")).isEqualTo(ADDRESSES);
    assertThat(after.sum("busbar_bridge_messages_total", "direction", "in", "address", AddressCap.OTHER)).isGreaterThan(ADDRESSES - MAX);
    assertThat(after.sum("vertx_eventbus_published_total", "address", AddressCap.OTHER)).isGreaterThan(ADDRESSES - MAX);
    assertThat(after.samples().size()).isLessThan(2_000);
  }
}
