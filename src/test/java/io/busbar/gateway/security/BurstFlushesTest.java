package io.busbar.gateway.security;

import io.busbar.testing.Wait;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.http.WebSocketInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Held flushes on a real WebSocket over loopback: what is held is what the socket has not yet been
 * given (Netty's unflushed bytes), and what the client receives is every frame, in order.
 */
class BurstFlushesTest {
  private Vertx vertx;
  private Context loop;
  private BurstFlushes flushes;
  private ServerWebSocket server;
  private WebSocketClient clients;
  private WebSocket client;
  private final List<String> received = new CopyOnWriteArrayList<>();

  @BeforeEach
  void connect() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
    Promise<ServerWebSocket> accepted = Promise.promise();
    HttpServer http = Wait.await(onLoop(() -> {
      flushes = new BurstFlushes(vertx);
      return vertx.createHttpServer().webSocketHandler(ws -> {
        flushes.attach(ws);
        accepted.complete(ws);
      }).listen(0, "127.0.0.1");
    }).compose(f -> f));
    // Kept in a field: Vert.x closes a client that is no longer referenced, with its connections.
    clients = vertx.createWebSocketClient();
    client = Wait.await(clients.connect(http.actualPort(), "127.0.0.1", "/"));
    client.textMessageHandler(received::add);
    server = Wait.await(accepted.future());
    assertThat(((WebSocketInternal) server).channelHandlerContext().pipeline().names()).contains("busbar-burst-flushes");
  }

  @AfterEach
  void close() {
    Wait.await(vertx.close());
  }

  @Test
  void anEventThatFindsTheLoopIdleIsFlushedAtOnce() {
    Wait.until("the loop to be idle", () -> Wait.await(onLoop(() -> {
      flushes.beforeFanOut();
      if (flushes.holding()) {
        return false;
      }
      server.writeTextMessage("one");
      assertThat(unflushed()).isZero();
      return true;
    })));
    Wait.until("the frame to arrive", () -> received.equals(List.of("one")));
  }

  @Test
  void theFramesOfABurstAreHeldUntilTheQueuedWorkHasRunThenLeaveInOrder() {
    long[] pending = new long[3];
    boolean[] held = new boolean[1];
    Promise<Void> done = Promise.promise();
    loop.runOnContext(a -> {
      // The burst's next event, queued before this one is fanned out.
      loop.runOnContext(b -> {
        flushes.beforeFanOut();
        server.writeTextMessage("two");
        pending[1] = unflushed();
        // Queued after the release the first event scheduled.
        loop.runOnContext(c -> {
          pending[2] = unflushed();
          done.complete();
        });
      });
      flushes.beforeFanOut();
      held[0] = flushes.holding();
      server.writeTextMessage("one");
      pending[0] = unflushed();
    });
    Wait.await(done.future());
    assertThat(held[0]).as("holding, with the next event queued").isTrue();
    assertThat(pending[0]).as("held after the first event").isPositive();
    assertThat(pending[1]).as("both events held").isGreaterThan(pending[0]);
    assertThat(pending[2]).as("released once the queued work ran").isZero();
    Wait.until("both frames to arrive", () -> received.equals(List.of("one", "two")));
  }

  @Test
  void aHeldSocketIsFlushedBeforeItCloses() {
    loop.runOnContext(a -> {
      loop.runOnContext(b -> { });
      flushes.beforeFanOut();
      server.writeTextMessage("last");
      server.close();
    });
    Wait.until("the socket to close", () -> client.isClosed());
    assertThat(received).containsExactly("last");
    assertThat(client.closeStatusCode()).isEqualTo((short) 1000);
  }

  @Test
  void aHeldSocketThatStopsBeingWritableIsFlushedAtOnceSoItIsNotTakenForASlowClient() {
    Channel channel = ((WebSocketInternal) server).channelHandlerContext().channel();
    boolean[] seen = new boolean[2];
    Wait.await(onLoop(() -> {
      channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(64, 128));
      loop.runOnContext(b -> { });
      flushes.beforeFanOut();
      server.writeTextMessage("x".repeat(1_000));
      seen[0] = flushes.holding();
      seen[1] = unflushed() == 0 && channel.isWritable();
      return null;
    }));
    assertThat(seen[0]).as("still holding the rest of the burst").isTrue();
    assertThat(seen[1]).as("the socket was flushed and is writable").isTrue();
    Wait.until("the frame to arrive", () -> received.size() == 1);
  }

  /** Bytes written to the socket's channel and not yet flushed to the kernel (read on the loop). */
  private long unflushed() {
    ChannelOutboundBuffer out = ((WebSocketInternal) server).channelHandlerContext().channel().unsafe().outboundBuffer();
    return out == null ? 0 : out.totalPendingWriteBytes();
  }

  private <T> io.vertx.core.Future<T> onLoop(Callable<T> work) {
    return Wait.on(loop, work);
  }
}
