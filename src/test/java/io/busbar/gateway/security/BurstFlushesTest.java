package io.busbar.gateway.security;

import io.busbar.testing.Wait;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
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
    client.binaryMessageHandler(b -> received.add("binary:" + b));
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

  /**
   * A raw socket's shared frames are not written during the hold but kept, counted as its unsent bytes,
   * and written at the release as one buffer; a write of its own in between first writes what is kept,
   * so the client gets everything in the order it was written, and no frame keeps a reference.
   */
  @Test
  void sharedFramesOfABurstAreKeptUntilTheReleaseAndNothingOvertakesThem() {
    VertxConnection connection = Wait.await(onLoop(() -> SharedFrame.connectionOf(server)));
    BurstFlushes.Held held = Wait.await(onLoop(() -> flushes.attach(server)));
    long[] kept = new long[4];
    long[] pending = new long[4];
    List<ByteBuf> wires = new ArrayList<>();
    Promise<Void> done = Promise.promise();
    loop.runOnContext(a -> {
      // The burst's next event, queued before this one is fanned out; the release is queued after it.
      loop.runOnContext(b -> {
        kept[2] = held.keptBytes();
        loop.runOnContext(c -> {
          kept[3] = held.keptBytes();
          pending[3] = unflushed();
          done.complete();
        });
      });
      flushes.beforeFanOut();
      for (String body : List.of("one", "two")) {
        SharedFrame frame = new SharedFrame(Buffer.buffer(body));
        assertThat(frame.writeTo(connection, held)).isSameAs(SharedFrame.HANDED_OVER);
        wires.add(frame.wire());
        frame.release();
      }
      kept[0] = held.keptBytes();
      pending[0] = unflushed();
      server.writeTextMessage("own");
      kept[1] = held.keptBytes();
      pending[1] = unflushed();
      SharedFrame three = new SharedFrame(Buffer.buffer("three"));
      three.writeTo(connection, held);
      wires.add(three.wire());
      three.release();
    });
    Wait.await(done.future());
    assertThat(kept[0]).as("both frames kept, header and payload").isEqualTo(2 + 3 + 2 + 3);
    assertThat(pending[0]).as("nothing in the channel yet").isZero();
    assertThat(kept[1]).as("written ahead of the socket's own write").isZero();
    assertThat(pending[1]).as("in the channel, flush held").isPositive();
    assertThat(kept[2]).as("the third frame kept until the release").isEqualTo(2 + 5);
    assertThat(kept[3]).as("written at the release").isZero();
    assertThat(pending[3]).as("and flushed").isZero();
    Wait.until("all four messages", () -> received.size() == 4);
    assertThat(received).containsExactly("binary:one", "binary:two", "own", "binary:three");
    Wait.until("every reference given back", () -> wires.stream().allMatch(w -> w.refCnt() == 0));
  }

  /** Kept frames over the combining limit are written one by one, still in order. */
  @Test
  void aBurstTooLargeToCombineIsWrittenFrameByFrame() {
    VertxConnection connection = Wait.await(onLoop(() -> SharedFrame.connectionOf(server)));
    BurstFlushes.Held held = Wait.await(onLoop(() -> flushes.attach(server)));
    List<ByteBuf> wires = new ArrayList<>();
    String a = "a".repeat(BurstFlushes.COMBINE_LIMIT / 2);
    String b = "b".repeat(BurstFlushes.COMBINE_LIMIT / 2);
    Wait.await(onLoop(() -> {
      loop.runOnContext(next -> { });
      flushes.beforeFanOut();
      for (String body : List.of(a, b)) {
        SharedFrame frame = new SharedFrame(Buffer.buffer(body));
        frame.writeTo(connection, held);
        wires.add(frame.wire());
        frame.release();
      }
      assertThat(held.keptBytes()).isGreaterThan(BurstFlushes.COMBINE_LIMIT);
      return null;
    }));
    Wait.until("both messages", () -> received.size() == 2);
    assertThat(received).containsExactly("binary:" + a, "binary:" + b);
    Wait.until("every reference given back", () -> wires.stream().allMatch(w -> w.refCnt() == 0));
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
