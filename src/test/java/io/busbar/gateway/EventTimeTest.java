package io.busbar.gateway;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class EventTimeTest {
  @Test
  void formatsExactlyAsInstantToString() {
    List<Instant> instants = new ArrayList<>(List.of(Instant.EPOCH, Instant.ofEpochSecond(0, 1), Instant.ofEpochSecond(59, 999_999_999),
      Instant.ofEpochSecond(1_700_000_000, 120_000_000), Instant.ofEpochSecond(1_700_000_000, 123_400_000),
      Instant.ofEpochSecond(1_700_000_000, 1_000), Instant.ofEpochSecond(1_700_000_000, 10), Instant.parse("1969-12-31T23:59:59.5Z"),
      Instant.parse("+12345-01-01T00:00:00.000001Z"), Instant.parse("-0001-06-30T12:00:00Z"), Instant.now()));
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 20_000; i++) {
      long second = 1_600_000_000L + random.nextInt(400_000_000);
      int nano = switch (i % 4) {
        case 0 -> random.nextInt(1_000) * 1_000_000;
        case 1 -> random.nextInt(1_000_000) * 1_000;
        case 2 -> random.nextInt(1_000_000_000);
        default -> 0;
      };
      instants.add(Instant.ofEpochSecond(second, nano));
      // The same second twice in a row: the cached prefix is reused.
      instants.add(Instant.ofEpochSecond(second, (nano + 7) % 1_000_000_000));
    }
    for (Instant t : instants) {
      assertThat(EventTime.format(t)).isEqualTo(t.toString());
    }
    assertThat(Instant.parse(EventTime.now())).isBeforeOrEqualTo(Instant.now());
  }
}
