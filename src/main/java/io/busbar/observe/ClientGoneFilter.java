package io.busbar.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import io.vertx.core.http.HttpClosedException;
import org.slf4j.Marker;

/**
 * Drops the Vert.x bridge's {@code ERROR SockJSSocket exception HttpClosedException: Connection was closed},
 * logged for every bridge socket whose client went away without a WebSocket close frame (a killed tab or
 * process, a lost network). That is a client leaving, not a fault of the node: the bridge still cleans the
 * socket up (its close handler runs next) and the hook still sees it close. One run of bench B3, whose
 * subscribers close their sockets that way, left about 26,000 of these lines. Any other exception of a
 * bridge socket is still logged. Registered in {@code logback.xml}.
 */
public final class ClientGoneFilter extends TurboFilter {
  static final String BRIDGE_LOGGER = "io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl";

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    return t instanceof HttpClosedException && logger.getName().equals(BRIDGE_LOGGER) ? FilterReply.DENY : FilterReply.NEUTRAL;
  }
}
