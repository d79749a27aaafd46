package io.busbar.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import io.busbar.testing.OneNode;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.JsonArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bridge client that leaves without a WebSocket close frame, on the raw endpoint and on SockJS's
 * WebSocket transport, leaves no error in the log; other exceptions of the bridge's sockets still do.
 */
class ClientGoneFilterTest {
  @RegisterExtension
  static final OneNode node = new OneNode(conf -> conf.put("roles", new JsonArray().add("gateway")));

  private final ListAppender<ILoggingEvent> bridgeLog = new ListAppender<>();
  private Logger bridgeLogger;

  @BeforeEach
  void captureTheBridgeLog() {
    bridgeLogger = (Logger) LoggerFactory.getLogger(ClientGoneFilter.BRIDGE_LOGGER);
    bridgeLog.start();
    bridgeLogger.addAppender(bridgeLog);
  }

  @AfterEach
  void release() {
    bridgeLogger.detachAppender(bridgeLog);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/eventbus/websocket", "/eventbus/000/gone0001/websocket"})
  void aClientThatDropsTheConnectionLeavesNoErrorInTheLog(String path) throws Exception {
    try (Socket s = new Socket("127.0.0.1", node.port())) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.port() + "\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readUntil(s.getInputStream(), "\r\n\r\n")).startsWith("HTTP/1.1 101");
      // Closed here without a close frame, as a killed process or a lost network leaves it.
    }
    // The bridge logs at once when it hears of it; a second is plenty on loopback.
    Thread.sleep(1_000);
    assertThat(bridgeLog.list).noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN));
  }

  @Test
  void onlyAConnectionClosedUnderTheBridgeIsDropped() {
    ClientGoneFilter filter = new ClientGoneFilter();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger bridge = context.getLogger(ClientGoneFilter.BRIDGE_LOGGER);
    Logger other = context.getLogger("io.busbar.gateway.GatewayVerticle");
    HttpClosedException gone = new HttpClosedException("Connection was closed");
    assertThat(filter.decide(null, bridge, Level.ERROR, "SockJSSocket exception", null, gone)).isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(null, bridge, Level.ERROR, "SockJSSocket exception", null, new VertxException("frame too big")))
      .isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(null, other, Level.ERROR, "failed", null, gone)).isEqualTo(FilterReply.NEUTRAL);
  }

  private static String readUntil(InputStream in, String end) throws Exception {
    StringBuilder text = new StringBuilder();
    while (text.indexOf(end) < 0) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      text.append((char) b);
    }
    return text.toString();
  }
}
