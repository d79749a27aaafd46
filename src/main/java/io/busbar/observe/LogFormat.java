package io.busbar.observe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.vertx.core.json.JsonObject;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import java.util.Iterator;

/**
 * Applies {@code logging.format}: {@code text} keeps {@code logback.xml}'s pattern, {@code json} swaps the
 * encoder of the root logger's console appenders for {@link JsonLogEncoder}. Also records the node id in
 * the logger context once known. Does nothing when Logback is not the SLF4J backend (an embedding
 * application with its own logging keeps it).
 */
public final class LogFormat {
  private LogFormat() {
  }

  public static void apply(JsonObject config) {
    if (!"json".equals(config.getJsonObject("logging").getString("format"))
      || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender && !(appender.getEncoder() instanceof JsonLogEncoder)) {
        JsonLogEncoder encoder = new JsonLogEncoder();
        encoder.setContext(context);
        encoder.start();
        appender.stop();
        appender.setEncoder(encoder);
        appender.start();
      }
    }
  }

  /** Every JSON log line from now on carries {@code nodeId}. */
  public static void nodeId(String nodeId) {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      context.putProperty(JsonLogEncoder.NODE_ID, nodeId);
    }
  }
}
