package io.busbar.producer;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RatesTest {
  @Test
  void firstTickHasNoRatesThenDeltasPerSecond() {
    Rates rates = new Rates(2);

    Rates.Tick first = rates.tick(10_000, 100, 50, Map.of("a", 10.0, "b", 10.0));
    assertThat(first.inPerSec()).isZero();
    assertThat(first.busiest()).isEmpty();

    Rates.Tick second = rates.tick(12_000, 120, 54, Map.of("a", 30.0, "b", 12.0, "c", 8.0, "d", 10.0));
    assertThat(second.inPerSec()).isEqualTo(10.0);
    assertThat(second.outPerSec()).isEqualTo(2.0);
    assertThat(second.busiest()).isEqualTo(new JsonArray()
      .add(new JsonObject().put("address", "a").put("perSec", 10.0))
      .add(new JsonObject().put("address", "d").put("perSec", 5.0)));
  }

  @Test
  void idleAddressesAreLeftOut() {
    Rates rates = new Rates(5);
    rates.tick(0, 0, 0, Map.of("a", 5.0));
    assertThat(rates.tick(1_000, 0, 0, Map.of("a", 5.0)).busiest()).isEmpty();
  }
}
