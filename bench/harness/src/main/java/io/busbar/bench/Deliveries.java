package io.busbar.bench;

import org.HdrHistogram.ConcurrentHistogram;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the subscribers of one run received, whatever the protocol: each benchmark event carries
 * {@code "seq"} and {@code "ts"} (the publisher's {@link Clock#now()} just before it was sent, same JVM),
 * found by a plain text scan so that every protocol's envelope works. Records the latency of every
 * delivery and, per event, how many subscribers got it and when the last one did.
 */
final class Deliveries {
  final int events;
  final AtomicIntegerArray count;
  final AtomicLongArray last;
  final AtomicLongArray sent;
  final ConcurrentHistogram latencyUs = new ConcurrentHistogram(3_600_000_000L, 3);
  final AtomicLong total = new AtomicLong();
  final AtomicLong unparsed = new AtomicLong();
  volatile boolean recording = true;
  /** When the first benchmark event arrived at any subscriber (0 before), B3's first-delivery time. */
  volatile long firstRx;

  Deliveries(int events) {
    this.events = events;
    this.count = new AtomicIntegerArray(Math.max(events, 1));
    this.last = new AtomicLongArray(Math.max(events, 1));
    this.sent = new AtomicLongArray(Math.max(events, 1));
  }

  static String event(long seq, long ts) {
    return "{\"seq\":" + seq + ",\"ts\":" + ts + ",\"pad\":\"busbar-benchmark-payload-0123456789abcdef0123456789abcdef\"}";
  }

  /** Handles one received message text; returns true if it was a benchmark event. */
  boolean onText(CharSequence text) {
    long now = Clock.now();
    int s = indexOf(text, "\"seq\":");
    if (s < 0) {
      return false;
    }
    int t = indexOf(text, "\"ts\":");
    if (t < 0) {
      unparsed.incrementAndGet();
      return false;
    }
    long seq = number(text, s + 6);
    long ts = number(text, t + 5);
    if (!recording) {
      return true;
    }
    if (firstRx == 0) {
      firstRx = now;
    }
    total.incrementAndGet();
    latencyUs.recordValue(Math.max(0, (now - ts) / 1000));
    if (seq >= 0 && seq < events) {
      count.incrementAndGet((int) seq);
      last.accumulateAndGet((int) seq, now, Math::max);
    }
    return true;
  }

  static int indexOf(CharSequence text, String needle) {
    int n = text.length() - needle.length();
    outer:
    for (int i = 0; i <= n; i++) {
      for (int j = 0; j < needle.length(); j++) {
        if (text.charAt(i + j) != needle.charAt(j)) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static long number(CharSequence text, int from) {
    long v = 0;
    int i = from;
    while (i < text.length() && text.charAt(i) == ' ') {
      i++;
    }
    boolean neg = i < text.length() && text.charAt(i) == '-';
    if (neg) {
      i++;
    }
    for (; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        break;
      }
      v = v * 10 + (c - '0');
    }
    return neg ? -v : v;
  }
}
