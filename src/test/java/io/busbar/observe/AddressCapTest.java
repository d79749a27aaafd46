package io.busbar.observe;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AddressCapTest {
  @Test
  void keepsTheFirstAddressesAndFoldsTheRest() {
    AddressCap cap = new AddressCap(2);

    assertThat(cap.label("a")).isEqualTo("a");
    assertThat(cap.label("b")).isEqualTo("b");
    assertThat(cap.label("c")).isEqualTo(AddressCap.OTHER);
    assertThat(cap.label("a")).isEqualTo("a");
    assertThat(cap.label("__vertx.reply.123")).isEqualTo(AddressCap.REPLY);
  }

  @Test
  void rewritesOnlyTheAddressTag() {
    AddressCap cap = new AddressCap(1);
    cap.label("kept");
    Meter.Id id = new Meter.Id("vertx.eventbus.sent", Tags.of("address", "new", "side", "local"), null, null, Meter.Type.COUNTER);

    Meter.Id mapped = cap.map(id);

    assertThat(mapped.getTag("address")).isEqualTo(AddressCap.OTHER);
    assertThat(mapped.getTag("side")).isEqualTo("local");
    Meter.Id untagged = new Meter.Id("jvm.threads", Tags.empty(), null, null, Meter.Type.GAUGE);
    assertThat(cap.map(untagged)).isSameAs(untagged);
  }
}
