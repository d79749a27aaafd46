package io.busbar.observe;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import io.vertx.core.json.JsonObject;
import org.slf4j.event.KeyValuePair;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * One flat JSON object per log event and line, for log shippers: {@code time} (ISO-8601 UTC),
 * {@code level}, {@code logger}, {@code thread}, {@code message}, {@code nodeId} (from the logger
 * context, set once the node joined), then the event's MDC entries and key-value pairs (SLF4J's
 * {@code addKeyValue}, e.g. {@code requestId}) as top-level fields, and {@code error} and {@code stack}
 * when there is an exception.
 */
public class JsonLogEncoder extends EncoderBase<ILoggingEvent> {
  public static final String NODE_ID = "nodeId";
  private static final byte[] EMPTY = new byte[0];

  @Override
  public byte[] headerBytes() {
    return EMPTY;
  }

  @Override
  public byte[] footerBytes() {
    return EMPTY;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    JsonObject line = new JsonObject()
      .put("time", Instant.ofEpochMilli(event.getTimeStamp()).toString())
      .put("level", event.getLevel().toString())
      .put("logger", event.getLoggerName())
      .put("thread", event.getThreadName())
      .put("message", event.getFormattedMessage());
    String nodeId = getContext() == null ? null : getContext().getProperty(NODE_ID);
    if (nodeId != null) {
      line.put(NODE_ID, nodeId);
    }
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      mdc.forEach(line::put);
    }
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair kv : event.getKeyValuePairs()) {
        line.put(kv.key, kv.value instanceof Number || kv.value instanceof Boolean ? kv.value : String.valueOf(kv.value));
      }
    }
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.put("error", thrown.getClassName() + ": " + thrown.getMessage());
      line.put("stack", ThrowableProxyUtil.asString(thrown));
    }
    return (line.encode() + "\n").getBytes(StandardCharsets.UTF_8);
  }
}
