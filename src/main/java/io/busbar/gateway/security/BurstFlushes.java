package io.busbar.gateway.security;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.spi.metrics.Metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * Lets the frames a burst of events puts on one WebSocket leave in one write. Vert.x flushes (a
 * {@code write} system call) after each frame written outside a read of that same socket, which is
 * every fan-out delivery: a burst of k events to n sockets cost k times n system calls, most of the
 * fan-out's CPU. When an event's fan-out starts while its event loop already has more tasks queued (the
 * next events of the burst), the flushes of the sockets this gateway instance writes to are held until
 * those tasks have run, then made once per socket. An event that finds the loop idle is flushed at once,
 * socket by socket, as before: holding it would only delay its first subscribers. A held socket is
 * flushed at once if it stops being writable, and before it closes.
 * <p>
 * While held, a raw socket's {@link SharedFrame}s are not written at all but kept by reference
 * ({@link Held#stash}) and written at the release as one buffer: the frames of a burst, copied once into
 * a buffer that every socket with the same frames writes by reference. Each frame written on its own cost
 * each socket a pass through its pipeline and an entry in Netty's outbound buffer (and an iovec) per
 * event: at 1,000 subscribers and 30 events, most of the fan-out's CPU that was not the system call
 * (bench B3). Any other write to the socket first writes what is kept, so nothing overtakes it; the kept
 * bytes count as the socket's unsent bytes (its bounded queue). A burst's frames over
 * {@value #COMBINE_LIMIT} bytes are written one by one, without the copy.
 * <p>
 * One per gateway instance, used only on its event loop; a socket served by another event loop is left
 * as Vert.x writes it. Consumes and publishes nothing.
 */
public final class BurstFlushes {
  private static final String HANDLER_NAME = "busbar-burst-flushes";
  /** Bytes of kept frames copied into one buffer at most; a larger burst is written frame by frame. */
  static final int COMBINE_LIMIT = 64 * 1024;

  private final EventExecutor loop;
  private final Runnable release = this::release;
  private List<Held> held = new ArrayList<>();
  private List<Held> releasing = new ArrayList<>();
  private boolean holding;
  /** The kept frames' wires, one reference each taken by this hold and given back at its release. */
  private final List<ByteBuf> pinned = new ArrayList<>();
  /** The last frames combined in this release and their buffer, which the next socket with the same frames reuses. */
  private final List<ByteBuf> lastFrames = new ArrayList<>();
  private ByteBuf lastCombined;

  /** For the event loop of the calling context (the gateway instance's). */
  BurstFlushes(Vertx vertx) {
    this.loop = ((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
  }

  /**
   * Puts the hold in front of this socket's flushes, if the socket is served by this event loop; returns
   * it (for {@link SharedFrame#writeTo(VertxConnection, Held)}), or null.
   */
  public Held attach(ServerWebSocket ws) {
    if (ws instanceof WebSocketInternal internal) {
      ChannelHandlerContext ctx = internal.channelHandlerContext();
      if (ctx.executor() == loop) {
        if (ctx.pipeline().get(HANDLER_NAME) instanceof Held existing) {
          return existing;
        }
        Held held = new Held();
        ctx.pipeline().addFirst(HANDLER_NAME, held);
        return held;
      }
    }
    return null;
  }

  /** Called before an event is fanned out: holds flushes until the work queued behind it has run. */
  void beforeFanOut() {
    if (!holding && loop.inEventLoop() && loop instanceof SingleThreadEventExecutor queue && queue.pendingTasks() > 0) {
      holding = true;
      loop.execute(release);
    }
  }

  /** Whether flushes are being held now (for tests). */
  boolean holding() {
    return holding;
  }

  private void release() {
    holding = false;
    // Swapped, not iterated in place: a flush completes writes whose listeners may write again.
    List<Held> due = held;
    held = releasing;
    releasing = due;
    try {
      for (int i = 0; i < due.size(); i++) {
        due.get(i).flushHeld();
      }
    } finally {
      due.clear();
      if (lastCombined != null) {
        lastCombined.release();
        lastCombined = null;
      }
      lastFrames.clear();
      for (int i = 0; i < pinned.size(); i++) {
        pinned.get(i).release();
      }
      pinned.clear();
    }
  }

  /**
   * A new reference to {@code frames} as one buffer: the last one built in this release if it holds the
   * same frames (every socket of an address gets the same ones), else a copy.
   */
  private ByteBuf combine(List<ByteBuf> frames, int bytes, ByteBufAllocator alloc) {
    if (lastCombined != null && sameFrames(lastFrames, frames)) {
      return lastCombined.retainedDuplicate();
    }
    if (lastCombined != null) {
      lastCombined.release();
    }
    ByteBuf combined = alloc.directBuffer(bytes);
    for (int i = 0; i < frames.size(); i++) {
      ByteBuf f = frames.get(i);
      combined.writeBytes(f, f.readerIndex(), f.readableBytes());
    }
    lastCombined = combined;
    lastFrames.clear();
    lastFrames.addAll(frames);
    return combined.retainedDuplicate();
  }

  /** The same buffers in the same order (not equal bytes: the same frames). */
  private static boolean sameFrames(List<ByteBuf> a, List<ByteBuf> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * One socket's hold. Sits next to the socket (first in the pipeline), so that it sees every write and
   * flush.
   */
  public final class Held extends ChannelDuplexHandler {
    private ChannelHandlerContext ctx;
    private ChannelPromise noPromise;
    private boolean pending;
    /**
     * Shared frames kept during the hold, in order (the hold's references: see {@link #pinned}). Made at
     * the first, as is the promise: an idle connection keeps neither (bench B6).
     */
    private List<ByteBuf> kept;
    private List<ByteBuf> spare;
    private int keptBytes;
    private VertxConnection connection;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    /**
     * Keeps {@code frame}'s encoded bytes to write at the release, if flushes are held now; false if not (write it
     * now). For a socket whose channel is writable, on its event loop: then nothing waits in Vert.x's
     * queue that the kept frame could overtake.
     */
    boolean stash(SharedFrame frame, VertxConnection connection) {
      if (!holding || ctx.isRemoved()) {
        return false;
      }
      ByteBuf wire = frame.wire();
      if (frame.pin()) {
        pinned.add(wire.retain());
      }
      this.connection = connection;
      if (kept == null) {
        kept = new ArrayList<>();
        spare = new ArrayList<>();
        // As Vert.x's own: a failed write is the connection closing, which Vert.x reports itself.
        noPromise = new VoidChannelPromise(ctx.channel(), false);
      }
      kept.add(wire);
      keptBytes += wire.readableBytes();
      if (!pending) {
        pending = true;
        held.add(this);
      }
      return true;
    }

    /** Bytes of kept frames (not yet in the channel). */
    public long keptBytes() {
      return keptBytes;
    }

    /**
     * Writes the kept frames to the channel, as one buffer where they fit (they then count as unsent);
     * true if there were any.
     */
    private boolean writeKept() {
      if (kept == null || kept.isEmpty()) {
        return false;
      }
      // Swapped first: a write can make the channel unwritable, which flushes this socket from within.
      List<ByteBuf> frames = kept;
      int bytes = keptBytes;
      kept = spare;
      spare = frames;
      keptBytes = 0;
      try {
        if (frames.size() > 1 && bytes <= COMBINE_LIMIT) {
          writeOne(combine(frames, bytes, ctx.alloc()));
        } else {
          for (int i = 0; i < frames.size(); i++) {
            writeOne(frames.get(i).retainedDuplicate());
          }
        }
      } finally {
        frames.clear();
      }
      return true;
    }

    private void writeOne(ByteBuf bytes) {
      if (Metrics.METRICS_ENABLED && connection != null) {
        connection.reportsBytesWritten(bytes);
      }
      // Netty releases the reference once written, or if the write fails (the connection is closing).
      ctx.write(bytes, noPromise);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      writeKept();
      ctx.write(msg, promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      // Unwritable because of what was held, not because the client is slow: let it drain first.
      if (!holding || !ctx.channel().isWritable()) {
        writeKept();
        pending = false;
        ctx.flush();
      } else if (!pending) {
        pending = true;
        held.add(this);
      }
    }

    void flushHeld() {
      // Also when a write made inside flushed this socket meanwhile: what followed that flush is unflushed.
      if (writeKept() | pending) {
        pending = false;
        ctx.flush();
      }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      // Nothing to write to any more; the references are the hold's, given back at its release.
      if (kept != null) {
        kept.clear();
      }
      keptBytes = 0;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (!ctx.channel().isWritable()) {
        flushHeld();
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
      flushHeld();
      ctx.close(promise);
    }
  }
}
