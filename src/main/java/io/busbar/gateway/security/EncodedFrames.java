package io.busbar.gateway.security;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Encodes the bridge's outbound envelopes, once per published message rather than once per socket.
 * <p>
 * A publish reaches every subscribed socket one after another on the same event loop, each with its own
 * copy of the message and so its own, equal, envelope. The last envelope encoded on this thread is kept
 * with its bytes; an envelope that is <em>exactly</em> the same JSON (same keys in the same order, values
 * of the same classes and equal) encodes to the same bytes, so the kept frame is returned. Anything else
 * (another message, a reply address, another address) is encoded afresh. Vert.x writes a buffer through a
 * slice and never changes it, so one frame can be written to many sockets.
 */
final class EncodedFrames {
  private static final ThreadLocal<EncodedFrames> LAST = ThreadLocal.withInitial(EncodedFrames::new);

  private JsonObject envelope;
  private Buffer frame;

  private EncodedFrames() {
  }

  /** The envelope's frame, as {@code envelope.toBuffer()} would make it. Do not modify either afterwards. */
  static Buffer encode(JsonObject envelope) {
    EncodedFrames last = LAST.get();
    if (last.envelope != null && same(last.envelope, envelope)) {
      return last.frame;
    }
    Buffer frame = envelope.toBuffer();
    last.envelope = envelope;
    last.frame = frame;
    return frame;
  }

  /** True if {@code a} and {@code b} encode to the same JSON text (conservatively: false when unsure). */
  static boolean same(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null) {
      return false;
    }
    if (a instanceof JsonObject x && b instanceof JsonObject y) {
      return sameMaps(x.getMap(), y.getMap());
    }
    if (a instanceof JsonArray x && b instanceof JsonArray y) {
      return sameLists(x.getList(), y.getList());
    }
    if (a.getClass() != b.getClass()) {
      return false;
    }
    if (a instanceof Map<?, ?> x) {
      return sameMaps(x, (Map<?, ?>) b);
    }
    if (a instanceof List<?> x) {
      return sameLists(x, (List<?>) b);
    }
    // Strings, boxed numbers and booleans, Buffers, Instants: equal values of one class encode alike.
    // An array (byte[]) is compared by identity only, which the first test covered.
    return !a.getClass().isArray() && a.equals(b);
  }

  private static boolean sameMaps(Map<?, ?> a, Map<?, ?> b) {
    if (a.size() != b.size()) {
      return false;
    }
    Iterator<? extends Map.Entry<?, ?>> i = a.entrySet().iterator();
    Iterator<? extends Map.Entry<?, ?>> j = b.entrySet().iterator();
    while (i.hasNext() && j.hasNext()) {
      Map.Entry<?, ?> x = i.next();
      Map.Entry<?, ?> y = j.next();
      if (!x.getKey().equals(y.getKey()) || !same(x.getValue(), y.getValue())) {
        return false;
      }
    }
    return !i.hasNext() && !j.hasNext();
  }

  private static boolean sameLists(List<?> a, List<?> b) {
    if (a.size() != b.size()) {
      return false;
    }
    Iterator<?> i = a.iterator();
    Iterator<?> j = b.iterator();
    while (i.hasNext() && j.hasNext()) {
      if (!same(i.next(), j.next())) {
        return false;
      }
    }
    return !i.hasNext() && !j.hasNext();
  }
}
