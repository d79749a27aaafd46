package io.busbar.security;

import io.busbar.NodeContext;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.Jwts;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.busbar.testing.BridgeClient.err;
import static io.busbar.testing.BridgeClient.rec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each limit of {@code gateway.limits} (set low here) is hit and answered with its documented error; on
 * one gateway instance here, on two in {@link LimitsAcrossGatewayInstancesTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {
  private TestCluster cluster;
  private NodeContext node;
  private Vertx client;
  private int port;
  private final List<BridgeClient> sockets = new ArrayList<>();

  /** {@code gateway.instances}: the connections of each test are shared out between this many event loops. */
  int gatewayInstances() {
    return 1;
  }

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    cluster = new TestCluster(1);
    node = NodeContext.of(cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("consumer").add("gateway"));
      JsonObject gateway = conf.getJsonObject("gateway").put("bodyLimit", 2048).put("instances", gatewayInstances());
      Jwts.authConfig(gateway.getJsonObject("auth"));
      gateway.getJsonObject("limits").put("maxConnectionsPerIp", 3).put("maxConnectionsPerNode", 4)
        .put("maxSubscriptionsPerSocket", 3).put("maxMessageBytes", 1024).put("oversizeFramesBeforeClose", 3)
        .put("messagesPerSecondPerConnection", 20).put("messagesPerSecondPerToken", 30).put("maxAddressLength", 64);
    }).vertx());
    port = cluster.httpPort(0);
    client = Vertx.vertx();
  }

  @AfterAll
  void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  @AfterEach
  void closeSockets() {
    sockets.forEach(BridgeClient::close);
    Wait.until("the node has no open sockets", () -> node.socketsOpen.get() == 0);
  }

  private BridgeClient open(String sub) {
    return open(sub, null);
  }

  private BridgeClient open(String sub, String localAddress) {
    BridgeClient socket = BridgeClient.open(port, "/eventbus/websocket?access_token=" + Jwts.hs256(Jwts.claims(sub, 300)), localAddress);
    sockets.add(socket);
    return socket;
  }

  @Test
  void connectionsPerIpThenPerNode() {
    for (int i = 0; i < 3; i++) {
      open("u" + i);
    }
    Wait.until("three sockets open", () -> node.socketsOpen.get() == 3);
    BridgeClient fourth = open("u3");
    fourth.awaitClosed("per-IP limit", Wait.DEFAULT);
    assertThat(fourth.find(err("too_many_connections"))).isPresent();
    assertThat(fourth.closeCode).isEqualTo((short) 4429);

    BridgeClient fromOtherIp = open("v", "127.0.0.2");
    Wait.until("four sockets open", () -> node.socketsOpen.get() == 4);
    assertThat(fromOtherIp.closed).isFalse();
    BridgeClient overNode = open("w", "127.0.0.3");
    overNode.awaitClosed("per-node limit", Wait.DEFAULT);
    assertThat(overNode.find(err("too_many_connections"))).isPresent();
  }

  @Test
  void subscriptionsPerSocket() {
    BridgeClient socket = open("s");
    for (int i = 0; i < 4; i++) {
      socket.send(new JsonObject().put("type", "register").put("address", "events.sub" + i));
    }
    socket.await("the fourth register refused", err("too_many_subscriptions"));
    assertThat(socket.count(err("too_many_subscriptions"))).isEqualTo(1);
    // Unregistering frees a slot.
    socket.send(new JsonObject().put("type", "unregister").put("address", "events.sub0"));
    socket.send(new JsonObject().put("type", "register").put("address", "events.sub9"));
    Wait.until("events.sub9 registered", () -> {
      node.toString();
      cluster.node(0).vertx().eventBus().publish("events.sub9", 1);
      return Wait.within(java.time.Duration.ofMillis(200), () -> socket.find(rec("events.sub9")).isPresent());
    });
    assertThat(socket.count(err("too_many_subscriptions"))).isEqualTo(1);
  }

  @Test
  void oversizeFramesAreRefusedThenTheSocketIsClosed() {
    BridgeClient socket = open("big");
    JsonObject big = new JsonObject().put("type", "publish").put("address", "events.big").put("body", "x".repeat(2000));
    socket.send(big);
    socket.await("message_too_large", err("message_too_large"));
    socket.send(new JsonObject().put("type", "send").put("address", "svc.echo").put("body", 1).put("replyAddress", "ok"));
    socket.await("a normal frame still works", rec("ok"));
    socket.send(big);
    socket.send(big);
    socket.send(big);
    socket.awaitClosed("closed after three oversize frames in a row", Wait.DEFAULT);
    assertThat(socket.closeCode).isEqualTo((short) 4413);
    // HTTP: the body limit answers 413.
    HttpResponse<Buffer> r = Wait.await(WebClient.create(client).post(port, "127.0.0.1", "/api/publish/events.big")
      .putHeader("content-type", "application/json").putHeader("authorization", "Bearer " + Jwts.hs256(Jwts.claims("big", 300)))
      .sendBuffer(Buffer.buffer("\"" + "x".repeat(5000) + "\"")));
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("body_too_large");
  }

  @Test
  void messageRatePerConnectionAndPerToken() {
    BridgeClient socket = open("fast");
    for (int i = 0; i < 60; i++) {
      socket.sendNoWait(new JsonObject().put("type", "publish").put("address", "events.rate").put("body", i));
    }
    JsonObject limited = socket.await("rate_limited", err("rate_limited"));
    assertThat(limited.getLong("retryAfterMs")).isPositive();
    long perConnection = socket.count(err("rate_limited"));

    // Two sockets with one token: each stays under 20/s, together over 30/s.
    BridgeClient a = open("shared");
    BridgeClient b = open("shared");
    for (int i = 0; i < 18; i++) {
      a.sendNoWait(new JsonObject().put("type", "publish").put("address", "events.rate").put("body", i));
      b.sendNoWait(new JsonObject().put("type", "publish").put("address", "events.rate").put("body", i));
    }
    Wait.until("per-token limit", () -> a.count(err("rate_limited")) + b.count(err("rate_limited")) > 0);

    // HTTP: one keep-alive connection, 60 quick requests.
    WebClient http = WebClient.create(client, new WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
    String token = Jwts.hs256(Jwts.claims("httpfast", 300));
    List<Future<HttpResponse<Buffer>>> responses = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      responses.add(http.post(port, "127.0.0.1", "/api/publish/events.rate").putHeader("content-type", "application/json")
        .putHeader("authorization", "Bearer " + token).sendBuffer(Buffer.buffer("1")));
    }
    Wait.await(Future.join(responses));
    List<HttpResponse<Buffer>> tooMany = responses.stream().map(Future::result).filter(r -> r.statusCode() == 429).toList();
    assertThat(tooMany).isNotEmpty();
    assertThat(tooMany.get(0).getHeader("retry-after")).matches("[1-9][0-9]*");
    assertThat(tooMany.get(0).bodyAsJsonObject().getString("error")).isEqualTo("rate_limited");
    System.out.println("rate limits: SockJS per connection refused " + perConnection + " of 60, per token "
      + (a.count(err("rate_limited")) + b.count(err("rate_limited"))) + " of 36, HTTP " + tooMany.size() + " of 60 answered 429");
  }

  @Test
  void addressLength() {
    String longAddress = "events." + "a".repeat(80);
    HttpResponse<Buffer> r = Wait.await(WebClient.create(client).post(port, "127.0.0.1", "/api/publish/" + longAddress)
      .putHeader("content-type", "application/json").putHeader("authorization", "Bearer " + Jwts.hs256(Jwts.claims("len", 300)))
      .sendBuffer(Buffer.buffer("1")));
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("address_too_long");
    BridgeClient socket = open("len");
    socket.send(new JsonObject().put("type", "register").put("address", longAddress));
    socket.await("address_too_long", err("address_too_long"));
  }
}
