package io.busbar.gateway.security;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.http.WebSocketInternal;

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
 * One per gateway instance, used only on its event loop; a socket served by another event loop is left
 * as Vert.x writes it. Consumes and publishes nothing.
 */
public final class BurstFlushes {
  private static final String HANDLER_NAME = "busbar-burst-flushes";

  private final EventExecutor loop;
  private final Runnable release = this::release;
  private List<Held> held = new ArrayList<>();
  private List<Held> releasing = new ArrayList<>();
  private boolean holding;

  /** For the event loop of the calling context (the gateway instance's). */
  BurstFlushes(Vertx vertx) {
    this.loop = ((ContextInternal) vertx.getOrCreateContext()).nettyEventLoop();
  }

  /** Puts the hold in front of this socket's flushes, if the socket is served by this event loop. */
  public void attach(ServerWebSocket ws) {
    if (ws instanceof WebSocketInternal internal) {
      ChannelHandlerContext ctx = internal.channelHandlerContext();
      if (ctx.executor() == loop && ctx.pipeline().get(HANDLER_NAME) == null) {
        ctx.pipeline().addFirst(HANDLER_NAME, new Held());
      }
    }
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
    for (int i = 0; i < due.size(); i++) {
      due.get(i).flushHeld();
    }
    due.clear();
  }

  /** Sits next to the socket (first in the pipeline), so that it sees every flush. */
  private final class Held extends ChannelDuplexHandler {
    private ChannelHandlerContext ctx;
    private boolean pending;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      // Unwritable because of what was held, not because the client is slow: let it drain first.
      if (!holding || !ctx.channel().isWritable()) {
        pending = false;
        ctx.flush();
      } else if (!pending) {
        pending = true;
        held.add(this);
      }
    }

    void flushHeld() {
      if (pending) {
        pending = false;
        ctx.flush();
      }
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
