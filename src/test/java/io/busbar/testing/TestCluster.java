package io.busbar.testing;

import io.busbar.BusbarNode;
import io.busbar.config.ConfigLoader;
import io.busbar.config.ConfigValidator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Real in-JVM Busbar nodes forming one real Hazelcast cluster on 127.0.0.1 with a random name and its
 * own port range. Nodes start one after another and close in reverse order.
 */
public final class TestCluster implements AutoCloseable {
  public final String name = Ports.clusterName();
  private final int basePort;
  private final int size;
  private final List<BusbarNode> nodes = new ArrayList<>();
  private final List<Integer> httpPorts = new ArrayList<>();

  public TestCluster(int size) {
    this.size = size;
    this.basePort = Ports.freeRange(size);
  }

  /** The configuration of node {@code index}, all roles; adjust it before {@link #start}. */
  public JsonObject config(int index, Path workDir) {
    JsonObject config = ConfigLoader.defaults();
    JsonArray members = new JsonArray();
    for (int i = 0; i < size; i++) {
      members.add("127.0.0.1:" + (basePort + i));
    }
    config.getJsonObject("cluster").put("name", name).put("port", basePort + index).put("portCount", 1).put("members", members);
    config.getJsonObject("gateway").put("port", Ports.free());
    config.getJsonObject("consumer").getJsonObject("eventLog").put("file", workDir.resolve("events-" + index + ".ndjson").toString());
    return config;
  }

  /** Starts node {@code index} with its default test config changed by {@code adjust}. */
  public BusbarNode start(int index, Path workDir, Consumer<JsonObject> adjust) throws Exception {
    JsonObject config = config(index, workDir);
    adjust.accept(config);
    ConfigValidator.validate(config);
    BusbarNode node = BusbarNode.start(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    nodes.add(node);
    httpPorts.add(config.getJsonObject("gateway").getInteger("port"));
    return node;
  }

  /** A one-node cluster, its node started with the default test config changed by {@code adjust}. */
  public static TestCluster startOne(Path workDir, Consumer<JsonObject> adjust) throws Exception {
    TestCluster cluster = new TestCluster(1);
    cluster.start(0, workDir, adjust);
    return cluster;
  }

  public int httpPort(int started) {
    return httpPorts.get(started);
  }

  public BusbarNode node(int started) {
    return nodes.get(started);
  }

  /** Closes a test's client Vert.x, then its cluster, whichever of them was started. */
  public static void close(Vertx client, TestCluster cluster) throws Exception {
    try {
      if (client != null) {
        Wait.await(client.close());
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  @Override
  public void close() throws Exception {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      nodes.get(i).close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    nodes.clear();
  }

}
