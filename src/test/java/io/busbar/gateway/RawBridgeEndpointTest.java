package io.busbar.gateway;

import io.busbar.testing.BridgeClient;
import io.busbar.testing.OneNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the raw WebSocket endpoint does now that it is upgraded before the Router: the bridge's idle
 * timeout still closes a silent socket (through the bridge's cast to the SockJS socket base class), a
 * pinging socket stays, and an upgrade it does not take is answered by the Router as before.
 */
class RawBridgeEndpointTest {
  @RegisterExtension
  static final OneNode node = new OneNode(conf -> {
    conf.put("roles", new JsonArray().add("gateway"));
    conf.getJsonObject("gateway").getJsonObject("sockjs").put("pingTimeoutMs", 1_000);
  });

  @Test
  void aSilentSocketIsClosedAfterThePingTimeoutAndAPingingOneStays() throws Exception {
    BridgeClient silent = BridgeClient.connect(node.port(), null);
    BridgeClient pinging = BridgeClient.connect(node.port(), null);
    try {
      long end = System.nanoTime() + Duration.ofMillis(3_500).toNanos();
      while (System.nanoTime() < end && !silent.closed) {
        pinging.send(new JsonObject().put("type", "ping"));
        Thread.sleep(200);
      }
      silent.awaitClosed("the silent socket", Duration.ofSeconds(10));
      assertThat(silent.closeCode).isEqualTo((short) 1001);
      assertThat(pinging.closed).isFalse();
      // Still served: a subscription on the pinging socket is accepted (no error frame comes back).
      pinging.send(new JsonObject().put("type", "register").put("address", "events.raw.endpoint"));
      pinging.send(new JsonObject().put("type", "ping"));
      Thread.sleep(300);
      assertThat(pinging.find(f -> "err".equals(f.getString("type")))).isEmpty();
    } finally {
      silent.close();
      pinging.close();
    }
  }

  @Test
  void anUpgradeOfAnotherVersionIsLeftToTheRouterWhichNamesTheVersionItSpeaks() throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(3_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /eventbus/websocket HTTP/1.1\r\nHost: 127.0.0.1:" + node.port() + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String response = readResponse(s.getInputStream());
      // As RFC 6455 asks, and as the SockJS handler answered it before: the versions this server speaks.
      assertThat(response).startsWith("HTTP/1.1 426").containsIgnoringCase("sec-websocket-version: 13");
    }
  }

  private static String readResponse(InputStream in) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[4096];
    long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < end) {
      int n;
      try {
        n = in.read(chunk);
      } catch (java.net.SocketTimeoutException e) {
        break;
      }
      if (n < 0) {
        break;
      }
      buf.write(chunk, 0, n);
      String text = buf.toString(StandardCharsets.UTF_8);
      int body = text.indexOf("\r\n\r\n");
      if (body >= 0 && text.indexOf('}', body) > 0) {
        return text;
      }
    }
    return buf.toString(StandardCharsets.UTF_8);
  }
}
