package io.busbar.gateway.security;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.netty.buffer.ByteBuf;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.impl.buffer.VertxByteBufAllocator;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The bridge's subscriptions: one event-bus consumer per address for all the sockets of one gateway
 * instance, instead of the Vert.x bridge's one consumer per socket and address.
 * <p>
 * A message is copied, wrapped in its {@code rec} envelope and encoded once, then the same bytes are
 * handed to every subscribed socket (as one {@link SharedFrame}, which raw sockets write by reference);
 * the cluster holds one registration per address and gateway instance instead of one per socket. Before each
 * message {@link BurstFlushes} decides whether the sockets' flushes wait for the rest of a burst. A
 * published message reaches every subscriber; a sent one (or a request) reaches one, round robin, as it
 * would have reached one of the per-socket consumers. Consumes whatever address a socket subscribed to;
 * publishes nothing. Not thread-safe: used only from the gateway instance's event loop. A consumer that
 * fails to register leaves its sockets subscribed to nothing, and is logged by Vert.x.
 */
final class FanOut<S> {
  /** Writes one encoded {@code rec} frame of {@code message} to {@code member}. */
  interface Sink<S> {
    void deliver(S member, Message<Object> message, SharedFrame frame);
  }

  /** Told after each message how many sockets it was handed to. */
  interface Delivered {
    void count(String address, int sockets);
  }

  private static final JsonFactory JSON = new JsonFactory();

  private final Vertx vertx;
  private final Sink<S> sink;
  private final Delivered delivered;
  private final BurstFlushes flushes;
  private final Map<String, Group<S>> groups = new HashMap<>();

  FanOut(Vertx vertx, Sink<S> sink, Delivered delivered, BurstFlushes flushes) {
    this.vertx = vertx;
    this.sink = sink;
    this.delivered = delivered;
    this.flushes = flushes;
  }

  /**
   * Subscribes {@code member} to {@code address}; returns the address as this fan-out keeps it, the one
   * instance every member of the address shares (keep that rather than the frame's copy).
   */
  String subscribe(String address, S member) {
    Group<S> group = groups.computeIfAbsent(address, this::group);
    group.add(member);
    return group.address;
  }

  void unsubscribe(String address, S member) {
    Group<S> group = groups.get(address);
    if (group != null && group.remove(member) && group.isEmpty()) {
      groups.remove(address);
      group.consumer.unregister();
    }
  }

  /** Addresses with at least one subscriber here (for tests and stats). */
  int addresses() {
    return groups.size();
  }

  Future<Void> close() {
    List<Future<Void>> unregistered = new ArrayList<>();
    groups.values().forEach(g -> unregistered.add(g.consumer.unregister()));
    groups.clear();
    return Future.join(unregistered).mapEmpty();
  }

  private Group<S> group(String address) {
    Group<S> group = new Group<>(address);
    group.consumer = vertx.eventBus().<Object>consumer(address).handler(message -> deliver(address, group, message));
    return group;
  }

  private void deliver(String address, Group<S> group, Message<Object> message) {
    if (group.isEmpty()) {
      return;
    }
    SharedFrame frame = frame(address, message);
    flushes.beforeFanOut();
    try {
      if (message.isSend()) {
        sink.deliver(group.next(), message, frame);
        delivered.count(address, 1);
        return;
      }
      // A copy: a write may close a socket (slow client), which unsubscribes it while we iterate.
      List<S> members = new ArrayList<>(group.members);
      for (S member : members) {
        sink.deliver(member, message, frame);
      }
      delivered.count(address, members.size());
    } finally {
      frame.release();
    }
  }

  /** The frame the Vert.x bridge would write for this message, built once, straight into its wire bytes. */
  static SharedFrame frame(String address, Message<?> message) {
    ByteBuf bytes = SharedFrame.start();
    boolean written = false;
    try {
      writeEnvelope(address, message, new ByteBufOutput(bytes));
      written = true;
    } catch (IOException | EncodeException e) {
      // A body Jackson core cannot write (a POJO): the Vert.x JSON codec in use can.
      return new SharedFrame(envelopeObject(address, message).toBuffer());
    } finally {
      if (!written) {
        bytes.release();
      }
    }
    return SharedFrame.framed(bytes);
  }

  /** The same frame as a heap buffer, for a single socket (a reply to one of its requests). */
  static Buffer envelope(String address, Message<?> message) {
    // Most envelopes (six CloudEvents headers and a small body) fit; a larger one grows once.
    ByteBuf bytes = VertxByteBufAllocator.DEFAULT.heapBuffer(512);
    try {
      writeEnvelope(address, message, new ByteBufOutput(bytes));
    } catch (IOException | EncodeException e) {
      return envelopeObject(address, message).toBuffer();
    }
    return BufferInternal.buffer(bytes);
  }

  private static void writeEnvelope(String address, Message<?> message, OutputStream out) throws IOException {
    // Written straight to bytes: building a JsonObject first (and a sorted name set for the headers) was
    // a large share of what each delivered event allocated, which is what sets the GC rate under load.
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("type", "rec");
      g.writeStringField("address", address);
      g.writeFieldName("body");
      JacksonCodec.encodeJson(message.body(), g);
      if (message.replyAddress() != null) {
        g.writeStringField("replyAddress", message.replyAddress());
      }
      MultiMap headers = message.headers();
      if (headers != null && !headers.isEmpty()) {
        g.writeFieldName("headers");
        HeaderFields fields = new HeaderFields();
        // Not the iterator (an entry object per header), names() or size() (a sorted set of the names).
        headers.forEach((BiConsumer<String, String>) fields);
        fields.writeTo(g);
      }
      g.writeEndObject();
    }
  }

  /**
   * Jackson writes its (recycled) buffer here once, on close: one copy of the envelope. A byte-array
   * builder grew past its first 256 bytes, then copied into an array and again into the Buffer, three
   * times the envelope's size per event (a fifth of what bench B2 allocated). Netty's own stream keeps
   * more state than that one write needs.
   */
  private static final class ByteBufOutput extends OutputStream {
    private final ByteBuf bytes;

    ByteBufOutput(ByteBuf bytes) {
      this.bytes = bytes;
    }

    @Override
    public void write(int b) {
      bytes.writeByte(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      bytes.writeBytes(b, off, len);
    }
  }

  /** One field per header name; a name given more than once (in any case) becomes an array, in order. */
  private static final class HeaderFields implements BiConsumer<String, String> {
    /** Six CloudEvents attributes and a few of the caller's. */
    private String[] names = new String[8];
    private Object[] values = new Object[8];
    private int size;

    @Override
    @SuppressWarnings("unchecked")
    public void accept(String name, String value) {
      for (int i = 0; i < size; i++) {
        if (names[i].equalsIgnoreCase(name)) {
          if (values[i] instanceof List<?> many) {
            ((List<String>) many).add(value);
          } else {
            values[i] = new ArrayList<>(List.of((String) values[i], value));
          }
          return;
        }
      }
      if (size == names.length) {
        names = Arrays.copyOf(names, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      names[size] = name;
      values[size++] = value;
    }

    void writeTo(JsonGenerator g) throws IOException {
      g.writeStartObject();
      for (int i = 0; i < size; i++) {
        if (values[i] instanceof List<?> many) {
          g.writeArrayFieldStart(names[i]);
          for (Object v : many) {
            g.writeString((String) v);
          }
          g.writeEndArray();
        } else {
          g.writeStringField(names[i], (String) values[i]);
        }
      }
      g.writeEndObject();
    }
  }

  /** The same envelope as a JsonObject, for bodies only the configured Vert.x JSON codec can encode. */
  static JsonObject envelopeObject(String address, Message<?> message) {
    JsonObject envelope = new JsonObject().put("type", "rec").put("address", address).put("body", message.body());
    if (message.replyAddress() != null) {
      envelope.put("replyAddress", message.replyAddress());
    }
    MultiMap headers = message.headers();
    if (headers != null && !headers.isEmpty()) {
      JsonObject copy = new JsonObject();
      for (String name : headers.names()) {
        List<String> values = headers.getAll(name);
        copy.put(name, values.size() == 1 ? values.get(0) : values);
      }
      envelope.put("headers", copy);
    }
    return envelope;
  }

  /** The members of one address: a list for iteration, an index for O(1) removal among thousands. */
  private static final class Group<S> {
    final String address;
    MessageConsumer<Object> consumer;
    final List<S> members = new ArrayList<>();
    final Map<S, Integer> index = new IdentityHashMap<>();
    int cursor;

    Group(String address) {
      this.address = address;
    }

    void add(S member) {
      if (index.putIfAbsent(member, members.size()) == null) {
        members.add(member);
      }
    }

    boolean remove(S member) {
      Integer at = index.remove(member);
      if (at == null) {
        return false;
      }
      S last = members.remove(members.size() - 1);
      if (last != member) {
        members.set(at, last);
        index.put(last, at);
      }
      return true;
    }

    boolean isEmpty() {
      return members.isEmpty();
    }

    S next() {
      cursor = (cursor + 1) % members.size();
      return members.get(cursor);
    }
  }
}
