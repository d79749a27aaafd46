package io.busbar.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JsonLogEncoderTest {
  private static LoggerContext context() {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter());
    return context;
  }

  @Test
  void oneFlatJsonObjectPerLineWithNodeAndRequestIds() {
    LoggerContext context = context();
    context.putProperty(JsonLogEncoder.NODE_ID, "node-1");
    JsonLogEncoder encoder = new JsonLogEncoder();
    encoder.setContext(context);
    encoder.start();
    Logger logger = context.getLogger("io.busbar.access");
    LoggingEvent event = new LoggingEvent("x", logger, Level.INFO, "{} {} -> {}", null, new Object[] {"POST", "/api/publish/a", 202});
    event.setKeyValuePairs(List.of(new KeyValuePair("requestId", "r-42"), new KeyValuePair("status", 202)));

    String text = new String(encoder.encode(event), StandardCharsets.UTF_8);

    assertThat(text).endsWith("\n").doesNotContain("\n{");
    JsonObject line = new JsonObject(text);
    assertThat(line.getString("level")).isEqualTo("INFO");
    assertThat(line.getString("logger")).isEqualTo("io.busbar.access");
    assertThat(line.getString("message")).isEqualTo("POST /api/publish/a -> 202");
    assertThat(line.getString("nodeId")).isEqualTo("node-1");
    assertThat(line.getString("requestId")).isEqualTo("r-42");
    assertThat(line.getInteger("status")).isEqualTo(202);
    assertThat(line.getString("time")).endsWith("Z");
  }

  @Test
  void exceptionsBecomeErrorAndStackFields() {
    LoggerContext context = context();
    JsonLogEncoder encoder = new JsonLogEncoder();
    encoder.setContext(context);
    encoder.start();
    LoggingEvent event = new LoggingEvent("x", context.getLogger("t"), Level.ERROR, "failed", new IllegalStateException("boom"), null);

    JsonObject line = new JsonObject(new String(encoder.encode(event), StandardCharsets.UTF_8));

    assertThat(line.getString("error")).isEqualTo("java.lang.IllegalStateException: boom");
    assertThat(line.getString("stack")).contains("JsonLogEncoderTest");
    assertThat(line.containsKey("nodeId")).isFalse();
  }
}
