package io.busbar.cluster;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One change to the node's cluster manager (everything else is forwarded to the one it wraps): each
 * event-bus connection this node opens to another node flushes once per turn of its event loop instead
 * of once per message.
 * <p>
 * Why: Vert.x writes a message sent on the connection's own event loop straight to the socket and
 * flushes it: a system call per message and node, and on the other node a wake-up and a read for each.
 * The gateway is usually that sender, since Vert.x connects on the loop of the first message to a node.
 * Netty's {@link FlushConsolidationHandler} at the head of the connection's pipeline lets the writes of
 * one turn (say the pipelined HTTP publishes of one read) go out in one flush at its end. Bench B4,
 * HTTP publishes on node A to a subscriber on each other node, against the build before, 3 rounds each:
 * with all nodes on one core, 63,000-92,000 a second against 38,000-42,000 with 2 nodes, and 45,000-53,000
 * against 11,000-19,000 with 3; with the nodes free on both cores, 70,000 against 62,000-70,000 and
 * 62,000-65,000 against 19,000-20,000. Cross-node request-reply latency did not move (p50 0.1-0.3 ms both).
 * Handing the connection to another event loop instead batched as well, but each message then crossed
 * threads: it doubled that latency.
 * <p>
 * How: Vert.x asks the cluster manager where the other node listens just before it connects; once the
 * connection is up, the handler is added to it. Vert.x keeps its connections to itself, so they are
 * found by reflection on two of its private fields ({@link #CONNECTIONS}, {@link #SOCKET}). If a
 * Vert.x version lacks them, this says so once in the log and the links flush per message, as in plain
 * Vert.x; {@code BatchedClusterLinksTest} fails on such a version. Messages are neither reordered nor
 * held: a flush is only put off to the end of the event loop's turn, or until 256 are pending.
 */
public final class BatchedClusterLinks extends ForwardingClusterManager {
  private static final Logger LOG = LoggerFactory.getLogger(BatchedClusterLinks.class);
  /** {@code ClusteredEventBus}'s map of node id to its connection to that node. */
  static final String CONNECTIONS = "outboundConnections";
  /** {@code OutboundConnection}'s socket, set (under the connection's lock) once connected. */
  static final String SOCKET = "socket";
  static final String HANDLER_NAME = "busbar-flush-consolidation";
  /** Flushes at most this many messages late while the loop is busy: Netty's example figure. */
  private static final int MAX_PENDING_FLUSHES = 256;
  /** How long a connection is waited for: Vert.x's default connect timeout is a minute. */
  private static final long GIVE_UP_MS = 60_000;

  private final AtomicBoolean warned = new AtomicBoolean();
  private volatile Vertx vertx;

  public BatchedClusterLinks(ClusterManager delegate) {
    super(delegate);
  }

  @Override
  public void init(Vertx vertx) {
    this.vertx = vertx;
    super.init(vertx);
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    // Vert.x registers the connection, then asks this, then connects: the connection is known already.
    Object connection = reach(() -> connectionTo(vertx, nodeId));
    delegate.getNodeInfo(nodeId, (info, failure) -> {
      promise.complete(info, failure);
      if (failure == null && connection != null) {
        batchWhenConnected(nodeId, connection, 1, System.currentTimeMillis() + GIVE_UP_MS);
      }
    });
  }

  private void batchWhenConnected(String nodeId, Object connection, long delayMs, long giveUpAt) {
    vertx.setTimer(delayMs, id -> {
      if (connecting(nodeId, connection) && System.currentTimeMillis() < giveUpAt) {
        batchWhenConnected(nodeId, connection, Math.min(delayMs * 2, 100), giveUpAt);
      }
    });
  }

  /**
   * Adds the handler to {@code connection} if it is connected. True while it is still connecting; false
   * once it has the handler, or is no longer the node's (its connect failed: the next one asks again), or
   * cannot be reached.
   */
  private boolean connecting(String nodeId, Object connection) {
    if (reach(() -> connectionTo(vertx, nodeId)) != connection) {
      return false;
    }
    NetSocketInternal socket = reach(() -> socketOf(connection));
    if (socket == null) {
      // Not connected yet, unless the socket could not be read at all.
      return !warned.get();
    }
    ChannelPipeline pipeline = socket.channelHandlerContext().pipeline();
    synchronized (pipeline) {
      if (pipeline.get(HANDLER_NAME) == null) {
        pipeline.addFirst(HANDLER_NAME, new FlushConsolidationHandler(MAX_PENDING_FLUSHES, true));
      }
    }
    return false;
  }

  private interface Reflective<T> {
    T get() throws ReflectiveOperationException;
  }

  /** The value, or null if Vert.x's private fields are not where this looks (said once in the log). */
  private <T> T reach(Reflective<T> read) {
    try {
      return read.get();
    } catch (ReflectiveOperationException | RuntimeException e) {
      if (warned.compareAndSet(false, true)) {
        LOG.warn("event-bus connections to other nodes flush each message: this Vert.x version keeps them where Busbar "
          + "cannot find them ({})", e.toString());
      }
      return null;
    }
  }

  /** This node's event-bus connection to {@code nodeId}, or null while it has none that is connected. */
  static NetSocketInternal socketTo(Vertx vertx, String nodeId) throws ReflectiveOperationException {
    Object connection = connectionTo(vertx, nodeId);
    return connection == null ? null : socketOf(connection);
  }

  /** Vert.x's connection object for {@code nodeId} (there from just before it connects), or null. */
  private static Object connectionTo(Vertx vertx, String nodeId) throws ReflectiveOperationException {
    Object bus = vertx.eventBus();
    return ((Map<?, ?>) field(bus.getClass(), CONNECTIONS).get(bus)).get(nodeId);
  }

  /** Its socket once connected, else null. */
  private static NetSocketInternal socketOf(Object connection) throws ReflectiveOperationException {
    Field socket = field(connection.getClass(), SOCKET);
    synchronized (connection) {
      return (NetSocketInternal) socket.get(connection);
    }
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    Field field = type.getDeclaredField(name);
    field.setAccessible(true);
    return field;
  }
}
