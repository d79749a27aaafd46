package io.busbar.gateway.security;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
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
 * frame goes through the connection's own outbound queue ({@code VertxConnection.writeToChannel}), so it
 * keeps its place among the socket's other writes, its flush rules and its byte counts.
 * <p>
 * Only where the bytes on the wire would be the same: a socket that negotiated compression (its
 * extension encoder compresses frames, not bytes), a payload Vert.x would split into several frames, or
 * a socket Vert.x does not serve the usual way gets {@code null} from {@link #writeTo} and is written as
 * before. The bytes are in one pooled direct buffer, so no socket copies them again for the system call;
 * every write holds a reference, released by Netty once written or failed, or here if the connection's
 * queue drops it unwritten. (A JDK direct buffer per event, freed by the garbage collector, put 1-3 ms on
 * B2's p99 at 10,000 events/s.) Used only on the gateway's event loop.
 */
public final class SharedFrame {
  /** A bridge socket that can be written a shared frame (the raw endpoint's). */
  public interface Writer {
    /** Writes the frame's shared bytes, or returns null if this socket must be written its payload instead. */
    Future<Void> writeShared(SharedFrame frame);
  }

  /** Vert.x splits a larger message into several frames; the gateway keeps the default limit. */
  static final int MAX_PAYLOAD = HttpServerOptions.DEFAULT_MAX_WEBSOCKET_FRAME_SIZE;
  private static final byte FIN_BINARY = (byte) 0x82;

  private final Buffer payload;
  private ByteBuf wire;

  SharedFrame(Buffer payload) {
    this.payload = payload;
  }

  /** The frame's bridge message: what a socket that cannot take the shared bytes is written. */
  public Buffer payload() {
    return payload;
  }

  /**
   * Writes the shared bytes to {@code connection} (from {@link #connectionOf}), or returns null if the
   * payload must be written as before. The future completes as Vert.x's own write would.
   */
  public Future<Void> writeTo(VertxConnection connection) {
    if (connection == null || payload.length() > MAX_PAYLOAD) {
      return null;
    }
    if (wire == null) {
      // The connection's own allocator (Vert.x's pool), not a second pool of its own.
      wire = encode(payload, connection.channelHandlerContext().alloc());
    }
    ByteBuf reference = wire.retainedDuplicate();
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

  /** Drops the fan-out's own reference; each write holds its own until it has left. */
  void release() {
    if (wire != null) {
      wire.release();
      wire = null;
    }
  }

  /** The shared bytes, once a write has built them (for tests). */
  ByteBuf wire() {
    return wire;
  }

  static ByteBuf encode(Buffer payload, ByteBufAllocator allocator) {
    int length = payload.length();
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf bytes = allocator.directBuffer(header + length);
    bytes.writeByte(FIN_BINARY);
    if (length < 126) {
      bytes.writeByte(length);
    } else if (length <= 0xFFFF) {
      bytes.writeByte(126).writeShort(length);
    } else {
      bytes.writeByte(127).writeLong(length);
    }
    return bytes.writeBytes(((BufferInternal) payload).getByteBuf());
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
