package io.busbar.gateway.security;

import io.busbar.testing.Wait;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.impl.VertxConnection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared frames on real WebSockets over loopback, read back by Vert.x's own client (which checks the
 * framing): every socket gets the payload as one binary message, in its place among the socket's other
 * writes, and the fan-out's reference is the only one left once all have left.
 */
class SharedFrameTest {
  private Vertx vertx;
  private Context loop;
  private HttpServer http;
  private WebSocketClient clients;
  private WebSocketClient compressedClient;
  private final Queue<ServerWebSocket> accepted = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void listen() {
    vertx = Vertx.vertx();
    loop = vertx.getOrCreateContext();
    http = Wait.await(onLoop(() -> vertx.createHttpServer(new HttpServerOptions().setPerMessageWebSocketCompressionSupported(true))
      .webSocketHandler(accepted::add).listen(0, "127.0.0.1")).compose(f -> f));
    // Kept in a field: Vert.x closes a client that is no longer referenced, with its connections.
    clients = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(false));
  }

  @AfterEach
  void close() {
    Wait.await(vertx.close());
  }

  @Test
  void headerLengthsFollowTheWebSocketFraming() {
    for (int length : new int[] {0, 125, 126, 65_535, 65_536}) {
      ByteBuf wire = SharedFrame.encode(Buffer.buffer(new byte[length]), ByteBufAllocator.DEFAULT);
      try {
        assertThat((int) wire.getUnsignedByte(0)).as("FIN and binary opcode").isEqualTo(0x82);
        int header = length < 126 ? 2 : length <= 65_535 ? 4 : 10;
        assertThat(wire.readableBytes()).isEqualTo(header + length);
        long declared = length < 126 ? wire.getUnsignedByte(1) : length <= 65_535 ? wire.getUnsignedShort(2) : wire.getLong(2);
        assertThat(declared).as("length of %d", length).isEqualTo(length);
        assertThat(wire.getUnsignedByte(1) & 0x80).as("unmasked").isEqualTo(0);
      } finally {
        wire.release();
      }
    }
  }

  @Test
  void everySocketGetsTheSharedFrameInItsPlaceAmongItsOtherWrites() {
    List<List<String>> received = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      received.add(connect(false));
    }
    String big = "x".repeat(70_000);
    ByteBuf[] wire = new ByteBuf[1];
    Wait.await(onLoop(() -> {
      SharedFrame small = new SharedFrame(Buffer.buffer("{\"n\":1}"));
      SharedFrame tooBig = new SharedFrame(Buffer.buffer(big));
      for (ServerWebSocket ws : accepted) {
        ws.writeTextMessage("before");
        assertThat(small.writeTo(SharedFrame.connectionOf(ws))).isNotNull();
        assertThat(tooBig.writeTo(SharedFrame.connectionOf(ws))).as("more than one frame: written as before").isNull();
        ws.writeTextMessage("after");
      }
      wire[0] = small.wire();
      small.release();
      return null;
    }));
    for (List<String> messages : received) {
      Wait.until("the three messages", () -> messages.size() == 3);
      assertThat(messages).containsExactly("text:before", "binary:{\"n\":1}", "text:after");
    }
    assertThat(wire[0].refCnt()).as("every write released its reference").isZero();
  }

  @Test
  void aFrameIsHandedStraightToAWritableSocketAndCountedUntilSent() {
    List<String> received = connect(false);
    ServerWebSocket ws = accepted.peek();
    VertxConnection connection = Wait.await(onLoop(() -> SharedFrame.connectionOf(ws)));
    SharedFrame frame = new SharedFrame(Buffer.buffer("{\"n\":1}"));
    assertThat(Wait.await(onLoop(() -> frame.writeTo(connection)))).isSameAs(SharedFrame.HANDED_OVER);
    ByteBuf wire = frame.wire();
    Wait.await(onLoop(() -> {
      frame.release();
      return null;
    }));
    Wait.until("the frame", () -> received.size() == 1);
    assertThat(received).containsExactly("binary:{\"n\":1}");
    assertThat(SharedFrame.unsentBytes(connection)).isZero();
    assertThat(wire.refCnt()).as("the write released its reference").isZero();
  }

  /**
   * A client that stops reading fills the kernel's buffers, then the channel's (made small here), and the
   * socket stops being writable: frames then wait in Vert.x's queue with the socket's other writes, and
   * none written straight to the channel once it is writable again may overtake them.
   */
  @Test
  void framesKeepTheirOrderWhenTheSocketFillsUpAndDrains() {
    http = Wait.await(onLoop(() -> vertx.createHttpServer(new HttpServerOptions().setSendBufferSize(8192))
      .webSocketHandler(accepted::add).listen(0, "127.0.0.1")).compose(f -> f));
    List<String> received = new CopyOnWriteArrayList<>();
    WebSocket client = Wait.await(vertx.createWebSocketClient(new WebSocketClientOptions().setReceiveBufferSize(8192))
      .connect(new WebSocketConnectOptions().setPort(http.actualPort()).setHost("127.0.0.1").setURI("/")));
    client.textMessageHandler(t -> received.add(t));
    client.binaryMessageHandler(b -> received.add(b.toJsonObject().getString("n")));
    Wait.until("the server side of the socket", () -> !accepted.isEmpty());
    client.pause();
    ServerWebSocket ws = accepted.peek();
    String padding = "p".repeat(4000);
    List<String> written = new ArrayList<>();
    List<ByteBuf> wires = new ArrayList<>();
    int[] handedOver = new int[1];
    int[] queued = new int[1];
    Wait.await(onLoop(() -> {
      ws.setWriteQueueMaxSize(16 * 1024);
      VertxConnection connection = SharedFrame.connectionOf(ws);
      // Until well past the point where the socket stopped being writable.
      for (int i = 0; i < 2000 && queued[0] < 20; i++) {
        SharedFrame frame = new SharedFrame(Buffer.buffer("{\"n\":\"f" + i + "\",\"p\":\"" + padding + "\"}"));
        if (frame.writeTo(connection) == SharedFrame.HANDED_OVER) {
          handedOver[0]++;
        } else {
          queued[0]++;
        }
        written.add("f" + i);
        wires.add(frame.wire());
        frame.release();
        ws.writeTextMessage("t" + i);
        written.add("t" + i);
      }
      return null;
    }));
    assertThat(handedOver[0]).as("frames handed straight to the socket").isPositive();
    assertThat(queued[0]).as("frames queued once it was full").isEqualTo(20);
    client.resume();
    Wait.until("every message", Duration.ofSeconds(30), () -> received.size() == written.size());
    assertThat(received).containsExactlyElementsOf(written);
    // Written after the drain: handed over again.
    VertxConnection connection = Wait.await(onLoop(() -> SharedFrame.connectionOf(ws)));
    SharedFrame last = new SharedFrame(Buffer.buffer("{\"n\":\"last\"}"));
    assertThat(Wait.await(onLoop(() -> last.writeTo(connection)))).isSameAs(SharedFrame.HANDED_OVER);
    Wait.await(onLoop(() -> {
      last.release();
      return null;
    }));
    Wait.until("the last frame", () -> received.size() == written.size() + 1);
    assertThat(SharedFrame.unsentBytes(connection)).isZero();
    assertThat(wires).allSatisfy(w -> assertThat(w.refCnt()).as("every write released its reference").isZero());
  }

  @Test
  void aWriteTheClosedConnectionDropsGivesItsReferenceBack() {
    connect(false);
    ServerWebSocket ws = accepted.peek();
    VertxConnection connection = Wait.await(onLoop(() -> SharedFrame.connectionOf(ws)));
    Wait.await(ws.close());
    Wait.until("the connection to close", ws::isClosed);
    SharedFrame frame = new SharedFrame(Buffer.buffer("{\"late\":true}"));
    Future<Void> written = Wait.await(onLoop(() -> frame.writeTo(connection)));
    assertThat(Wait.within(Duration.ofSeconds(5), () -> written.failed())).as("the dropped write fails").isTrue();
    ByteBuf wire = frame.wire();
    Wait.await(onLoop(() -> {
      frame.release();
      return null;
    }));
    assertThat(wire.refCnt()).as("no reference left behind").isZero();
  }

  @Test
  void aCompressedSocketIsWrittenAsBefore() {
    connect(true);
    Wait.until("the socket", () -> !accepted.isEmpty());
    assertThat(Wait.await(onLoop(() -> SharedFrame.connectionOf(accepted.peek())))).isNull();
  }

  /** Connects one client, compressed or not, and returns what it receives as "text:..." or "binary:...". */
  private List<String> connect(boolean compressed) {
    List<String> messages = new CopyOnWriteArrayList<>();
    int before = accepted.size();
    WebSocketClient client = compressed
      ? vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(true)) : clients;
    WebSocket ws = Wait.await(client.connect(new WebSocketConnectOptions().setPort(http.actualPort()).setHost("127.0.0.1").setURI("/")));
    ws.textMessageHandler(t -> messages.add("text:" + t));
    ws.binaryMessageHandler(b -> messages.add("binary:" + b));
    Wait.until("the server side of the socket", () -> accepted.size() == before + 1);
    if (compressed) {
      // Kept: Vert.x closes a client that is no longer referenced.
      compressedClient = client;
    }
    return messages;
  }

  private <T> Future<T> onLoop(Callable<T> work) {
    return Wait.on(loop, work);
  }
}
