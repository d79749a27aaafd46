package io.busbar;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random (version 4) UUIDs for event and request ids, from the thread's own generator.
 * {@link UUID#randomUUID()} draws from one shared {@code SecureRandom}, a lock and a few microseconds on
 * every HTTP request; these ids only need to be unique, not unpredictable (nothing is authorised by them).
 */
public final class EventIds {
  private EventIds() {
  }

  public static String next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & ~(0x3L << 62)) | (0x2L << 62);
    return new UUID(high, low).toString();
  }
}
