package io.busbar;

import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Shareable;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * What the verticles of one node share: its identity and its live counters. Kept in the Vert.x
 * instance's local shared data so that every verticle (and a user's own) finds it from {@code vertx}.
 */
public final class NodeContext implements Shareable {
  private static final String MAP = "busbar.node";
  private static final String KEY = "context";

  public final String nodeId;
  public final List<String> roles;
  public final long startedAtMillis;
  public final AtomicLong eventsIn = new AtomicLong();
  public final AtomicLong eventsOut = new AtomicLong();
  public final AtomicInteger socketsOpen = new AtomicInteger();
  private final AtomicBoolean draining = new AtomicBoolean();
  /** The port the gateway bound, once it listens; -1 before (and on a node without the gateway role). */
  private volatile int httpPort = -1;
  private final BooleanSupplier clusterActive;
  private final IntSupplier clusterSize;
  private final HazelcastInstance hazelcast;

  public NodeContext(String nodeId, List<String> roles, BooleanSupplier clusterActive, IntSupplier clusterSize,
                     HazelcastInstance hazelcast) {
    this.nodeId = nodeId;
    this.roles = List.copyOf(roles);
    this.startedAtMillis = System.currentTimeMillis();
    this.clusterActive = clusterActive;
    this.clusterSize = clusterSize;
    this.hazelcast = hazelcast;
  }

  /**
   * The Hazelcast member this node runs, for cluster-wide structures (deduplication, dead letters) and
   * cluster state. Its calls block: use it from {@code executeBlocking} or its async API only.
   */
  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  /** The HTTP port the gateway listens on (the one bound, also when {@code gateway.port} is 0), or -1. */
  public int httpPort() {
    return httpPort;
  }

  /** Called by the gateway once it listens. */
  public void httpListening(int port) {
    httpPort = port;
  }

  /** True once the node has begun a graceful drain (SIGTERM): readiness is false from then on. */
  public boolean draining() {
    return draining.get();
  }

  /** Marks the node as draining; true only for the call that started the drain. */
  public boolean startDraining() {
    return draining.compareAndSet(false, true);
  }

  public boolean clusterActive() {
    return clusterActive.getAsBoolean();
  }

  /** How many members the cluster has as this node sees it now (itself included). */
  public int clusterSize() {
    return clusterSize.getAsInt();
  }

  public void register(Vertx vertx) {
    vertx.sharedData().<String, NodeContext>getLocalMap(MAP).put(KEY, this);
  }

  /** The context of the node this Vert.x instance belongs to; fails fast outside a Busbar node. */
  public static NodeContext of(Vertx vertx) {
    NodeContext ctx = vertx.sharedData().<String, NodeContext>getLocalMap(MAP).get(KEY);
    if (ctx == null) {
      throw new IllegalStateException("not a Busbar node: start Vert.x with BusbarNode.start");
    }
    return ctx;
  }
}
