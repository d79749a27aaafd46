package io.busbar.gateway;

import io.busbar.testing.OneNode;
import io.busbar.testing.Wait;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gateway.sockjs.compression}: a client that asks for permessage-deflate, as every browser does,
 * gets it only where the node is configured to offer it (each socket that takes it holds a deflater and
 * an inflater, about 100 KB).
 */
class WebSocketCompressionTest {
  @RegisterExtension
  static final OneNode byDefault = new OneNode(conf -> conf.put("roles", new JsonArray().add("gateway")));

  @RegisterExtension
  static final OneNode offering = new OneNode(conf -> {
    conf.put("roles", new JsonArray().add("gateway"));
    conf.getJsonObject("gateway").getJsonObject("sockjs").put("compression", true);
  });

  private static Vertx client;

  @BeforeAll
  static void start() {
    client = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Wait.await(client.close());
  }

  @Test
  void notOfferedByDefault() {
    assertThat(negotiated(byDefault.port())).isNull();
  }

  @Test
  void offeredWhenConfigured() {
    assertThat(negotiated(offering.port())).startsWith("permessage-deflate");
  }

  /** The extension the node's handshake answer names, for a client asking for permessage-deflate. */
  private static String negotiated(int port) {
    // Held until closed: Vert.x shuts down a WebSocketClient that becomes unreachable (a Cleaner), so a
    // GC during the handshake closed the connection under an inline client once in CI.
    WebSocketClient webSockets = client.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(true));
    try {
      WebSocket ws = Wait.await(webSockets.connect(
        new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/eventbus/websocket")));
      try {
        return ws.headers().get("sec-websocket-extensions");
      } finally {
        Wait.await(ws.close());
      }
    } finally {
      Wait.await(webSockets.close());
    }
  }
}
