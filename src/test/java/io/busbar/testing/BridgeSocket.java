package io.busbar.testing;

import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A bare client of a node's SockJS bridge over its raw WebSocket endpoint ({@code /eventbus/websocket}):
 * one JSON frame per bridge message, in both directions. The bridge answers in binary frames, so both
 * frame kinds are read; fragments are joined before parsing.
 */
public final class BridgeSocket implements AutoCloseable {
  private final WebSocket socket;
  private final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  /** The close status the server sent, once it closed the socket; -1 before. */
  public volatile int closeStatus = -1;

  private BridgeSocket(int httpPort) throws Exception {
    socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
      .buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/eventbus/websocket"), new Listener())
      .get(10, TimeUnit.SECONDS);
  }

  public static BridgeSocket connect(int httpPort) throws Exception {
    return new BridgeSocket(httpPort);
  }

  public void send(JsonObject frame) throws Exception {
    socket.sendText(frame.encode(), true).get(5, TimeUnit.SECONDS);
  }

  /** The next received frame that {@code wanted} accepts within {@code timeout}, or null; others are dropped. */
  public JsonObject await(Predicate<JsonObject> wanted, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long left;
    while ((left = deadline - System.nanoTime()) > 0) {
      JsonObject frame = received.poll(left, TimeUnit.NANOSECONDS);
      if (frame != null && wanted.test(frame)) {
        return frame;
      }
    }
    return null;
  }

  @Override
  public void close() {
    socket.abort();
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();
    private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closeStatus = statusCode;
      return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        received.add(new JsonObject(text.toString()));
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      byte[] bytes = new byte[data.remaining()];
      data.get(bytes);
      binary.writeBytes(bytes);
      if (last) {
        received.add(new JsonObject(binary.toString(StandardCharsets.UTF_8)));
        binary.reset();
      }
      ws.request(1);
      return null;
    }
  }
}
