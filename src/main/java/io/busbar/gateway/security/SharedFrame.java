package io.busbar.gateway.security;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.impl.buffer.VertxByteBufAllocator;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.MessageWrite;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;

import java.util.Map;

/**
 * One fan-out frame, and the same frame encoded once as a complete WebSocket binary message (header and
 * payload, unmasked, as a server sends it) that every raw socket it goes to writes by reference.
 * <p>
 * Why: through Vert.x each socket's copy of a frame cost a frame object, a promise, the Netty encoder's
 * own buffer with the payload copied into it (a zeroed heap array) and the copy of that into a direct
 * buffer for the system call: most of the fan-out's CPU after its system calls (bench B3). The shared
 * frame keeps Vert.x's flush rules and byte counts ({@code VertxConnection.write}).
 * <p>
 * While the socket can take more (Netty's channel is writable), the frame is handed straight to the
 * channel, without a promise: Vert.x's own outbound queue holds messages only while the channel is not
 * writable (it drains them in the same event that makes it writable again), so an empty queue is what
 * writable means on the socket's own event loop, and no write can overtake one queued before it. Without
 * the queue and a promise per frame with its listeners, the server's CPU per delivery was 0.54-0.63x at
 * 5,000 and 10,000 subscribers, and deliveries/s 1.5x (bench B3 side by side, 5 rounds, medians). Those
 * bytes are counted by {@link #unsentBytes} until sent. A socket that cannot take more gets the frame
 * through Vert.x's queue as before, with a future that completes once it is written.
 * <p>
 * Only where the bytes on the wire would be the same: a socket that negotiated compression (its
 * extension encoder compresses frames, not bytes), a payload Vert.x would split into several frames, or
 * a socket Vert.x does not serve the usual way gets {@code null} from {@link #writeTo} and is written as
 * before. The bytes are in one pooled direct buffer, so no socket copies them again for the system call;
 * every write holds a reference, released by Netty once written or failed, or here if the connection's
 * queue drops it unwritten. (A JDK direct buffer per event, freed by the garbage collector, put 1-3 ms on
 * B2's p99 at 10,000 events/s.) A fan-out writes its message straight into those bytes
 * ({@link #start}, {@link #framed}); the payload as a heap buffer is copied out only for a socket that
 * needs it. Used only on the gateway's event loop.
 */
public final class SharedFrame {
  /** A bridge socket that can be written a shared frame (the raw endpoint's). */
  public interface Writer {
    /**
     * Writes the frame's shared bytes. Returns null if this socket must be written its payload instead,
     * {@link #HANDED_OVER} if the bytes went straight to the socket (counted by {@link #unsentBytes} until
     * sent), else a future that completes as Vert.x's own write would.
     */
    Future<Void> writeShared(SharedFrame frame);

    /** Bytes handed to the socket's channel and not sent yet (0 before its first shared frame). */
    long unsentBytes();
  }

  /** What {@link #writeTo} returns for a frame handed straight to the socket's channel. */
  public static final Future<Void> HANDED_OVER = Future.succeededFuture();

  /** Vert.x splits a larger message into several frames; the gateway keeps the default limit. */
  static final int MAX_PAYLOAD = HttpServerOptions.DEFAULT_MAX_WEBSOCKET_FRAME_SIZE;
  private static final byte FIN_BINARY = (byte) 0x82;
  /** Room left before a payload written in place: the longest frame header. */
  static final int HEADER_ROOM = 10;

  private Buffer payload;
  private final int length;
  private ByteBuf wire;
  /** Whether a hold keeps a reference to the wire (one per frame, see {@link BurstFlushes.Held#stash}). */
  private boolean pinned;

  SharedFrame(Buffer payload) {
    this.payload = payload;
    this.length = payload.length();
  }

  private SharedFrame(ByteBuf wire, int length) {
    this.wire = wire;
    this.length = length;
  }

  /**
   * Pooled bytes to write a frame's payload into, from the writer index on, before {@link #framed}. (The
   * same pool as the connections': Vert.x gives every channel this allocator.)
   */
  static ByteBuf start() {
    ByteBuf bytes = VertxByteBufAllocator.POOLED_ALLOCATOR.directBuffer(512);
    return bytes.writerIndex(HEADER_ROOM);
  }

  /**
   * The frame whose payload was written into {@code bytes} (from {@link #start}): its header goes into the
   * room before the payload. Takes over the reference. Why: encoding into a heap buffer and copying that
   * into the wire cost each event a 512-byte array and a copy (bench B2's allocation profile).
   */
  static SharedFrame framed(ByteBuf bytes) {
    int length = bytes.writerIndex() - HEADER_ROOM;
    int at = HEADER_ROOM - headerLength(length);
    bytes.writerIndex(at);
    writeHeader(bytes, length);
    bytes.readerIndex(at).writerIndex(HEADER_ROOM + length);
    return new SharedFrame(bytes, length);
  }

  /** The payload's length in bytes. */
  public int length() {
    return length;
  }

  /**
   * The frame's bridge message: what a socket that cannot take the shared bytes is written. A frame
   * written in place copies it out the first time, so ask before the fan-out has released the frame.
   */
  public Buffer payload() {
    if (payload == null) {
      if (wire == null) {
        throw new IllegalStateException("the frame was released");
      }
      byte[] bytes = new byte[length];
      wire.getBytes(wire.writerIndex() - length, bytes);
      payload = Buffer.buffer(bytes);
    }
    return payload;
  }

  /**
   * Writes the shared bytes to {@code connection} (from {@link #connectionOf}): {@link #HANDED_OVER} if
   * they went straight to its channel, null if the payload must be written as before, else a future
   * that completes as Vert.x's own write would.
   */
  public Future<Void> writeTo(VertxConnection connection) {
    return writeTo(connection, null);
  }

  /**
   * The same, for a socket whose flushes {@code held} may hold (null if none): while they are held, the
   * frame is kept there and written at the release with the burst's other frames ({@link #HANDED_OVER};
   * the kept bytes count as the socket's {@link BurstFlushes.Held#keptBytes}).
   */
  public Future<Void> writeTo(VertxConnection connection, BurstFlushes.Held held) {
    if (connection == null || length > MAX_PAYLOAD) {
      return null;
    }
    if (wire == null) {
      // The connection's own allocator (Vert.x's pool), not a second pool of its own.
      wire = encode(payload, connection.channelHandlerContext().alloc());
    }
    boolean direct = connection.channel().isWritable() && connection.channelHandlerContext().executor().inEventLoop();
    if (direct && held != null && held.stash(this, connection)) {
      return HANDED_OVER;
    }
    ByteBuf reference = wire.retainedDuplicate();
    if (direct) {
      // Netty releases the reference once written, or if the write fails (then the connection is closing).
      connection.write(reference, false);
      return HANDED_OVER;
    }
    Promise<Void> written = Promise.promise();
    // As Vert.x queues its own frames, except that a write the queue drops (the socket closed first) gives
    // its reference back: pooled memory is not collected by the garbage collector. Once written, Netty
    // releases it, also on failure.
    connection.writeToChannel(new MessageWrite() {
      @Override
      public void write() {
        connection.write(reference, false, written);
      }

      @Override
      public void cancel(Throwable cause) {
        reference.release();
        written.tryFail(cause);
      }
    });
    return written.future();
  }

  /** Bytes written to {@code connection}'s channel and not sent yet; 0 once it is closed. */
  public static long unsentBytes(VertxConnection connection) {
    ChannelOutboundBuffer unsent = connection == null ? null : connection.channel().unsafe().outboundBuffer();
    return unsent == null ? 0 : unsent.totalPendingWriteBytes();
  }

  /** True the first time: the caller (a hold) then takes one reference to the wire for all its sockets. */
  boolean pin() {
    if (pinned) {
      return false;
    }
    pinned = true;
    return true;
  }

  /** Drops the fan-out's own reference; each write holds its own until it has left. */
  void release() {
    if (wire != null) {
      wire.release();
      wire = null;
    }
  }

  /** The shared bytes, once a write has built them (for a hold that keeps them, and for tests). */
  ByteBuf wire() {
    return wire;
  }

  static ByteBuf encode(Buffer payload, ByteBufAllocator allocator) {
    int length = payload.length();
    ByteBuf bytes = allocator.directBuffer(headerLength(length) + length);
    writeHeader(bytes, length);
    return bytes.writeBytes(((BufferInternal) payload).getByteBuf());
  }

  private static int headerLength(int length) {
    return length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
  }

  private static void writeHeader(ByteBuf bytes, int length) {
    bytes.writeByte(FIN_BINARY);
    if (length < 126) {
      bytes.writeByte(length);
    } else if (length <= 0xFFFF) {
      bytes.writeByte(126).writeShort(length);
    } else {
      bytes.writeByte(127).writeLong(length);
    }
  }

  /**
   * The Vert.x connection behind {@code ws}, if shared frames may be written to it: not compressed, and
   * served by Vert.x's own handler. Ask once the socket is open (the extension encoder is added with the
   * handshake's answer).
   */
  public static VertxConnection connectionOf(ServerWebSocket ws) {
    if (!(ws instanceof WebSocketInternal internal)) {
      return null;
    }
    ChannelHandlerContext ctx = internal.channelHandlerContext();
    for (Map.Entry<String, ChannelHandler> handler : ctx.pipeline()) {
      if (handler.getValue() instanceof WebSocketExtensionEncoder) {
        return null;
      }
    }
    return ctx.handler() instanceof VertxHandler<?> vertx ? vertx.getConnection() : null;
  }
}
