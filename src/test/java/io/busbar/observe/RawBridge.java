package io.busbar.observe;

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

/** A bare client of the raw SockJS WebSocket endpoint ({@code /eventbus/websocket}); frames are JSON. */
final class RawBridge implements AutoCloseable {
  final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
  private final WebSocket socket;

  RawBridge(int httpPort) throws Exception {
    socket = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
      .buildAsync(URI.create("ws://127.0.0.1:" + httpPort + "/eventbus/websocket"), new WebSocket.Listener() {
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

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
      }).get(10, TimeUnit.SECONDS);
  }

  void send(JsonObject frame) throws Exception {
    socket.sendText(frame.encode(), true).get(5, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    socket.abort();
  }
}
