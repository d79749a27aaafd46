package io.busbar.security;

import io.busbar.BusbarNode;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.Jwts;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

import static io.busbar.testing.BridgeClient.err;
import static io.busbar.testing.BridgeClient.rec;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authentication, the access policy, trusted headers, reply addresses and origins, over real HTTP and
 * real WebSockets against one real clustered node with authentication on.
 */
class SecurityTest {
  static final String LISTED = "https://app.example";
  static final String FOREIGN = "http://evil.example";

  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static BusbarNode node;
  private static Vertx client;
  private static WebClient http;
  private static WebSocketClient webSockets;
  private static int port;

  private final List<BridgeClient> sockets = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(1);
    node = cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("consumer").add("gateway"));
      JsonObject gateway = conf.getJsonObject("gateway");
      Jwts.authConfig(gateway.getJsonObject("auth")).put("rules", rules());
      gateway.getJsonObject("cors").put("allowedOrigins", new JsonArray().add(LISTED)).put("allowCredentials", true);
    });
    port = cluster.httpPort(0);
    client = Vertx.vertx();
    http = WebClient.create(client);
    webSockets = client.createWebSocketClient();
  }

  static JsonArray rules() {
    return new JsonArray()
      .add(new JsonObject().put("who", "public").put("actions", new JsonArray().add("subscribe")).put("address", "public.news"))
      .add(new JsonObject().put("who", "public").put("actions", new JsonArray().add("publish")).put("addressRegex", "public\\.inbox\\.[a-z0-9]+"))
      .add(new JsonObject().put("who", "authenticated").put("actions", new JsonArray().add("subscribe").add("send"))
        .put("addressTemplate", "user.{sub}.inbox"))
      .add(new JsonObject().put("who", "role:ops").put("actions", new JsonArray().add("send").add("request").add("admin"))
        .put("addressRegex", "ops\\.[a-z]+"))
      .add(new JsonObject().put("who", "claim:tenant=acme").put("actions", new JsonArray().add("publish"))
        .put("addressTemplate", "tenant.{tenant}.events"));
  }

  @AfterAll
  static void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  @AfterEach
  void cleanUp() {
    sockets.forEach(BridgeClient::close);
    consumers.forEach(c -> Wait.await(c.unregister()));
  }

  // --- JWT

  static Map<String, String> attacks() {
    JsonObject good = Jwts.claims("mallory", 300, "ops");
    long now = System.currentTimeMillis() / 1000;
    String valid = Jwts.hs256(good);
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("alg none", Jwts.none(good));
    tokens.put("alg none, valid signature kept", Jwts.none(good) + valid.substring(valid.lastIndexOf('.') + 1));
    tokens.put("HS256 signed with the RSA public key (HS/RS confusion)",
      Jwts.hmac("HS256", good, Jwts.pem(Jwts.RSA.getPublic()).getBytes(StandardCharsets.US_ASCII)));
    tokens.put("HS256 with a wrong secret", Jwts.hmac("HS256", good, "another-secret-that-is-long-enough-000".getBytes()));
    tokens.put("RS256 signed by another key", Jwts.rs256(good, TestKeys.OTHER_RSA.getPrivate()));
    tokens.put("payload changed after signing", valid.substring(0, valid.indexOf('.') + 1)
      + Jwts.b64(good.copy().put("roles", new JsonArray().add("admin")).encode()) + valid.substring(valid.lastIndexOf('.')));
    tokens.put("expired", Jwts.hs256(good.copy().put("exp", now - 5)));
    tokens.put("not yet valid", Jwts.hs256(good.copy().put("nbf", now + 600)));
    tokens.put("wrong issuer", Jwts.hs256(good.copy().put("iss", "https://evil.example")));
    tokens.put("wrong audience", Jwts.hs256(good.copy().put("aud", "someone-else")));
    tokens.put("no exp", Jwts.hs256(good.copy().put("exp", (Object) null)));
    tokens.put("no sub", Jwts.hs256(good.copy().put("sub", (Object) null)));
    tokens.put("garbage", "not.a.jwt");
    tokens.put("empty parts", "..");
    return tokens;
  }

  @Test
  void everyJwtAttackIsAnswered401OverHttp() {
    Map<String, Integer> outcome = new LinkedHashMap<>();
    attacks().forEach((name, token) -> {
      HttpResponse<Buffer> r = post("/api/publish/events.orders", new JsonObject().put("n", 1), Map.of("authorization", "Bearer " + token));
      outcome.put(name, r.statusCode());
      assertThat(r.statusCode()).as(name + ": " + r.bodyAsString()).isEqualTo(401);
      assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("invalid_token");
      assertThat(r.getHeader("www-authenticate")).isEqualTo("Bearer");
    });
    System.out.println("JWT attacks over HTTP: " + outcome);
    assertThat(post("/api/publish/events.orders", new JsonObject(), Map.of("authorization", "Basic Zm9vOmJhcg==")).statusCode()).isEqualTo(401);
  }

  @Test
  void validTokensOfEachKeyTypeAreAccepted() {
    JsonObject claims = Jwts.claims("alice", 300, "user");
    for (String token : List.of(Jwts.hs256(claims), Jwts.rs256(claims, Jwts.RSA.getPrivate()), Jwts.es256(claims, Jwts.EC.getPrivate()))) {
      HttpResponse<Buffer> r = post("/api/publish/events.orders", new JsonObject(), Map.of("authorization", "Bearer " + token));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
    }
    // Without a token only public grants apply: the rest is 401 (a token would help), public is fine.
    HttpResponse<Buffer> anonymous = post("/api/publish/events.orders", new JsonObject(), Map.of());
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.bodyAsJsonObject().getString("error")).isEqualTo("unauthenticated");
    assertThat(post("/api/publish/public.inbox.a", new JsonObject(), Map.of()).statusCode()).isEqualTo(202);
    // A valid token without the role: 403.
    HttpResponse<Buffer> noRole = post("/api/send/ops.restart", new JsonObject(), Map.of("authorization", "Bearer " + Jwts.hs256(claims)));
    assertThat(noRole.statusCode()).isEqualTo(403);
    assertThat(post("/api/send/ops.restart", new JsonObject(),
      Map.of("authorization", "Bearer " + Jwts.hs256(Jwts.claims("olga", 300, "ops")))).statusCode()).isEqualTo(202);
  }

  @Test
  void everyJwtAttackClosesTheSocket() {
    Map<String, String> outcome = new LinkedHashMap<>();
    attacks().forEach((name, token) -> {
      BridgeClient socket = track(BridgeClient.connect(port, java.net.URLEncoder.encode(token, StandardCharsets.UTF_8)));
      socket.awaitClosed(name + " closes the socket", Wait.DEFAULT);
      assertThat(socket.find(err("invalid_token"))).as(name).isPresent();
      assertThat(socket.closeCode).as(name).isEqualTo((short) 4401);
      outcome.put(name, socket.closeCode + " " + socket.closeReason);
    });
    System.out.println("JWT attacks over SockJS: " + outcome);
    BridgeClient good = track(BridgeClient.connect(port, Jwts.es256(Jwts.claims("alice", 300), Jwts.EC.getPrivate())));
    good.send(new JsonObject().put("type", "send").put("address", "svc.echo").put("body", new JsonObject().put("x", 1)).put("replyAddress", "r1"));
    good.await("echo reply", rec("r1"));
  }

  @Test
  void aSocketIsClosedWhenItsTokenExpiresUnlessRefreshed() {
    BridgeClient stale = track(BridgeClient.connect(port, Jwts.hs256(Jwts.claims("alice", 2))));
    BridgeClient fresh = track(BridgeClient.connect(port, Jwts.hs256(Jwts.claims("alice", 2))));
    long opened = System.nanoTime();
    // A fresh token for the same subject in a frame header, well before expiry, sent to busbar.token.
    fresh.send(new JsonObject().put("type", "send").put("address", "busbar.token").put("replyAddress", "t1")
      .put("headers", new JsonObject().put("authorization", "Bearer " + Jwts.hs256(Jwts.claims("alice", 300)))));
    JsonObject status = fresh.await("the token status", rec("t1")).getJsonObject("body");
    assertThat(status.getString("sub")).isEqualTo("alice");
    assertThat(status.getLong("expiresAt")).isGreaterThan(System.currentTimeMillis() + 200_000);

    stale.awaitClosed("the socket with the expiring token closes", Duration.ofSeconds(15));
    double closedAfter = (System.nanoTime() - opened) / 1e9;
    assertThat(stale.closeCode).isEqualTo((short) 4401);
    assertThat(stale.closeReason).isEqualTo("token_expired");
    assertThat(stale.find(err("token_expired"))).isPresent();
    assertThat(closedAfter).isGreaterThan(1.0);
    Wait.within(Duration.ofSeconds(1), () -> false);
    assertThat(fresh.closed).isFalse();
    fresh.send(new JsonObject().put("type", "send").put("address", "svc.echo").put("body", new JsonObject()).put("replyAddress", "r2"));
    fresh.await("echo after refresh", rec("r2"));
    System.out.println("expiring token: socket closed " + closedAfter + " s after connect (token lifetime 2 s)");

    assertThat(fresh.find(f -> "err".equals(f.getString("type")))).isEmpty();
    // A fresh token in any frame's headers works too; one naming someone else closes the socket.
    fresh.send(new JsonObject().put("type", "register").put("address", "events.refresh")
      .put("headers", new JsonObject().put("authorization", "Bearer " + Jwts.hs256(Jwts.claims("alice", 400)))));
    fresh.send(new JsonObject().put("type", "publish").put("address", "events.x").put("body", 1)
      .put("headers", new JsonObject().put("authorization", "Bearer " + Jwts.hs256(Jwts.claims("bob", 300)))));
    fresh.awaitClosed("subject change closes", Wait.DEFAULT);
    assertThat(fresh.closeCode).isEqualTo((short) 4401);
  }

  // --- access policy

  @Test
  void templatesGiveEachSubjectItsOwnInbox() {
    BridgeClient alice = track(BridgeClient.connect(port, Jwts.hs256(Jwts.claims("alice", 300))));
    alice.send(new JsonObject().put("type", "register").put("address", "user.bob.inbox"));
    alice.await("denied", err("access_denied"));
    alice.send(new JsonObject().put("type", "register").put("address", "user.alice.inbox"));
    Wait.until("alice's inbox registered", () -> {
      node.vertx().eventBus().publish("user.alice.inbox", "hi");
      return Wait.within(Duration.ofMillis(200), () -> alice.find(rec("user.alice.inbox")).isPresent());
    });
    assertThat(alice.count(err("access_denied"))).isEqualTo(1);
    // An anonymous socket gets the public address only.
    BridgeClient anonymous = track(BridgeClient.connect(port, null));
    anonymous.send(new JsonObject().put("type", "register").put("address", "events.orders"));
    anonymous.await("denied", err("access_denied"));
    anonymous.send(new JsonObject().put("type", "register").put("address", "public.news"));
    Wait.until("public news", () -> {
      node.vertx().eventBus().publish("public.news", "n");
      return Wait.within(Duration.ofMillis(200), () -> anonymous.find(rec("public.news")).isPresent());
    });
    // Claims: tenant acme may publish to its own events only.
    String acme = Jwts.hs256(Jwts.claims("carol", 300).put("tenant", "acme"));
    assertThat(post("/api/publish/tenant.acme.events", new JsonObject(), Map.of("authorization", "Bearer " + acme)).statusCode()).isEqualTo(202);
    assertThat(post("/api/publish/tenant.other.events", new JsonObject(), Map.of("authorization", "Bearer " + acme)).statusCode()).isEqualTo(403);
  }

  @Test
  void aSocketMayReplyOnlyToMessagesItReceived() {
    String alice = Jwts.hs256(Jwts.claims("alice", 300));
    BridgeClient owner = track(BridgeClient.connect(port, alice));
    BridgeClient other = track(BridgeClient.connect(port, Jwts.hs256(Jwts.claims("bob", 300))));
    owner.send(new JsonObject().put("type", "register").put("address", "user.alice.inbox"));
    Queue<Message<Object>> replies = new ConcurrentLinkedQueue<>();
    Wait.until("a request reaches alice's socket", () -> {
      node.vertx().eventBus().request("user.alice.inbox", new JsonObject().put("q", 1),
        new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(10_000)).onSuccess(replies::add);
      return Wait.within(Duration.ofMillis(300), () -> owner.find(rec("user.alice.inbox")).isPresent());
    });
    String replyAddress = owner.find(rec("user.alice.inbox")).orElseThrow().getString("replyAddress");
    assertThat(replyAddress).isNotNull();

    other.send(new JsonObject().put("type", "send").put("address", replyAddress).put("body", new JsonObject().put("forged", true)));
    other.await("another socket may not reply", err("access_denied"));
    owner.send(new JsonObject().put("type", "send").put("address", replyAddress).put("body", new JsonObject().put("answer", 42)));
    Wait.until("the owner's reply", () -> !replies.isEmpty());
    owner.send(new JsonObject().put("type", "send").put("address", replyAddress).put("body", new JsonObject().put("again", 1)));
    owner.await("a second reply is refused", err("access_denied"));
    assertThat(replies).hasSize(1);
    assertThat(((JsonObject) replies.peek().body()).getInteger("answer")).isEqualTo(42);
  }

  // --- trusted headers

  @Test
  void spoofedIdentityHeadersNeverReachAConsumerButTrustedOnesDo() {
    String address = "events.spoof." + shortId();
    Queue<Message<Object>> received = consume(address);
    Map<String, String> spoofed = new LinkedHashMap<>();
    spoofed.put("busbar-auth-sub", "root");
    spoofed.put("Busbar-Auth-Roles", "admin");
    spoofed.put("busbar-node", "forged");
    spoofed.put("busbar-anything", "x");
    Map<String, String> withToken = new LinkedHashMap<>(spoofed);
    withToken.put("authorization", "Bearer " + Jwts.hs256(Jwts.claims("alice", 300, "user", "beta")));
    assertThat(post("/api/publish/" + address, new JsonObject().put("via", "http"), withToken).statusCode()).isEqualTo(202);

    BridgeClient socket = track(BridgeClient.connect(port, Jwts.hs256(Jwts.claims("bob", 300, "user"))));
    JsonObject frameHeaders = new JsonObject();
    spoofed.forEach(frameHeaders::put);
    socket.send(new JsonObject().put("type", "publish").put("address", address).put("body", new JsonObject().put("via", "sockjs"))
      .put("headers", frameHeaders));

    // Anonymous over HTTP to a public address: spoofed headers go, nothing is added.
    String publicAddress = "public.inbox." + shortId().replaceAll("[^a-z0-9]", "a");
    Queue<Message<Object>> anonymous = consume(publicAddress);
    assertThat(post("/api/publish/" + publicAddress, new JsonObject(), spoofed).statusCode()).isEqualTo(202);

    Wait.until("both events and the anonymous one", () -> received.size() == 2 && anonymous.size() == 1);
    for (Message<Object> m : received) {
      MultiMap h = m.headers();
      boolean http = "http".equals(((JsonObject) m.body()).getString("via"));
      assertThat(h.get("busbar-auth-sub")).isEqualTo(http ? "alice" : "bob");
      assertThat(h.get("busbar-auth-roles")).isEqualTo(http ? "beta,user" : "user");
      assertThat(h.getAll("busbar-auth-sub")).hasSize(1);
      assertThat(h.contains("busbar-node")).isFalse();
      assertThat(h.contains("busbar-anything")).isFalse();
      assertThat(h.contains("authorization")).isFalse();
    }
    MultiMap h = anonymous.peek().headers();
    assertThat(h.names().stream().filter(n -> n.toLowerCase().startsWith("busbar-"))).isEmpty();
  }

  // --- origins

  @Test
  void aForeignOriginIsRefusedOnEveryTransport() {
    String session = "/eventbus/123/" + shortId();
    Map<String, Integer> statuses = new LinkedHashMap<>();
    List<Object[]> requests = List.of(
      new Object[] {HttpMethod.GET, "/eventbus/info"},
      new Object[] {HttpMethod.GET, "/eventbus/iframe.html"},
      new Object[] {HttpMethod.POST, session + "/xhr"},
      new Object[] {HttpMethod.POST, session + "/xhr_send"},
      new Object[] {HttpMethod.POST, session + "/xhr_streaming"},
      new Object[] {HttpMethod.GET, session + "/eventsource"},
      new Object[] {HttpMethod.GET, session + "/htmlfile?c=cb"},
      new Object[] {HttpMethod.GET, session + "/jsonp?c=cb"},
      new Object[] {HttpMethod.POST, session + "/jsonp_send"},
      new Object[] {HttpMethod.OPTIONS, session + "/xhr"},
      new Object[] {HttpMethod.POST, "/api/publish/public.inbox.a"},
      new Object[] {HttpMethod.OPTIONS, "/api/publish/public.inbox.a"});
    for (Object[] r : requests) {
      HttpResponse<Buffer> response = Wait.await(http.request((HttpMethod) r[0], port, "127.0.0.1", (String) r[1])
        .putHeader("origin", FOREIGN).putHeader("content-type", "application/json").sendBuffer(Buffer.buffer("{}")));
      statuses.put(r[0] + " " + r[1], response.statusCode());
      assertThat(response.statusCode()).as(r[0] + " " + r[1]).isEqualTo(403);
      assertThat(response.bodyAsJsonObject().getString("error")).isEqualTo("origin_not_allowed");
      assertThat(response.getHeader("access-control-allow-origin")).isNull();
      assertThat(response.getHeader("access-control-allow-credentials")).isNull();
    }
    // A cross-site script include carries no Origin but says so in Sec-Fetch-Site.
    HttpResponse<Buffer> script = Wait.await(http.get(port, "127.0.0.1", session + "2/jsonp?c=cb").putHeader("sec-fetch-site", "cross-site").send());
    assertThat(script.statusCode()).isEqualTo(403);
    // Both WebSocket transports.
    for (String uri : List.of("/eventbus/websocket", session + "3/websocket")) {
      Throwable failure = Wait.await(webSockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(uri)
        .addHeader("origin", FOREIGN)).map(ws -> (Throwable) null).otherwise(e -> e));
      assertThat(failure).as(uri).isInstanceOf(UpgradeRejectedException.class);
      assertThat(((UpgradeRejectedException) failure).getStatus()).isEqualTo(403);
      statuses.put("WebSocket " + uri, 403);
    }
    System.out.println("foreign origin: " + statuses);
  }

  @Test
  void aListedOriginGetsCorsHeadersAndCredentials() {
    HttpResponse<Buffer> info = Wait.await(http.get(port, "127.0.0.1", "/eventbus/info").putHeader("origin", LISTED).send());
    assertThat(info.statusCode()).isEqualTo(200);
    assertThat(info.getHeader("access-control-allow-origin")).isEqualTo(LISTED);
    HttpResponse<Buffer> preflight = Wait.await(http.request(HttpMethod.OPTIONS, port, "127.0.0.1", "/api/publish/public.inbox.a")
      .putHeader("origin", LISTED).putHeader("access-control-request-method", "POST").send());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.getHeader("access-control-allow-origin")).isEqualTo(LISTED);
    assertThat(preflight.getHeader("access-control-allow-credentials")).isEqualTo("true");
    HttpResponse<Buffer> publish = post("/api/publish/public.inbox.a", new JsonObject(), Map.of("origin", LISTED));
    assertThat(publish.statusCode()).isEqualTo(202);
    assertThat(publish.getHeader("access-control-allow-origin")).isEqualTo(LISTED);
    io.vertx.core.http.WebSocket ws = Wait.await(webSockets.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
      .setURI("/eventbus/websocket").addHeader("origin", LISTED)));
    assertThat(ws.isClosed()).isFalse();
    Wait.await(ws.close());
  }

  // --- helpers

  private BridgeClient track(BridgeClient socket) {
    if (socket != null) {
      sockets.add(socket);
    }
    return socket;
  }

  private Queue<Message<Object>> consume(String address) {
    Queue<Message<Object>> received = new ConcurrentLinkedQueue<>();
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, received::add);
    consumers.add(consumer);
    Wait.await(consumer.completion());
    return received;
  }

  static HttpResponse<Buffer> post(String path, JsonObject body, Map<String, String> headers) {
    HttpRequest<Buffer> request = http.post(port, "127.0.0.1", path).putHeader("content-type", "application/json");
    headers.forEach(request::putHeader);
    return Wait.await(request.sendBuffer(body.toBuffer()));
  }

  static String shortId() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
