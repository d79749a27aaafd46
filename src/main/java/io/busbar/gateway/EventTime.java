package io.busbar.gateway;

import java.time.Instant;

/**
 * {@code ce-time} for an event the gateway stamps: exactly {@link Instant#toString()} (RFC 3339, UTC,
 * fraction in groups of three digits), with the date and time of day formatted once per second. Going
 * through {@code DateTimeFormatter} for every event was 3-4% of an HTTP publish's CPU (bench B1).
 */
final class EventTime {
  /** One second's {@code Instant.toString()} without its {@code Z}; replaced when the second changes. */
  private record Second(long epochSecond, String prefix) {
  }

  /** Shared by every event loop: a stale or racing read only costs formatting the second again. */
  private static volatile Second last = new Second(Long.MIN_VALUE, "");

  private EventTime() {
  }

  static String now() {
    return format(Instant.now());
  }

  static String format(Instant t) {
    long epochSecond = t.getEpochSecond();
    Second s = last;
    if (s.epochSecond() != epochSecond) {
      String whole = Instant.ofEpochSecond(epochSecond).toString();
      s = new Second(epochSecond, whole.substring(0, whole.length() - 1));
      last = s;
    }
    int nano = t.getNano();
    if (nano == 0) {
      return s.prefix() + 'Z';
    }
    // Instant.toString prints 3, 6 or 9 digits: as few groups of three as keep the value exact.
    int digits;
    int value;
    if (nano % 1_000_000 == 0) {
      digits = 3;
      value = nano / 1_000_000;
    } else if (nano % 1_000 == 0) {
      digits = 6;
      value = nano / 1_000;
    } else {
      digits = 9;
      value = nano;
    }
    char[] fraction = new char[digits + 2];
    fraction[0] = '.';
    for (int i = digits; i >= 1; i--) {
      fraction[i] = (char) ('0' + value % 10);
      value /= 10;
    }
    fraction[digits + 1] = 'Z';
    return s.prefix().concat(new String(fraction));
  }
}
