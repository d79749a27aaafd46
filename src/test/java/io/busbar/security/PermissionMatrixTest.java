package io.busbar.security;

import io.busbar.BusbarNode;
import io.busbar.gateway.security.Action;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.Jwts;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The permission matrix: over a thousand generated addresses (Vert.x internals, reply-like, near misses,
 * unicode, 10 KB long...) times publish/send/request/subscribe, for an anonymous caller and two tokens
 * with different roles and claims, over HTTP and SockJS. The expected answer comes from an oracle written
 * here independently of the gateway; every forbidden case must be refused and none may put a message on
 * the bus (an outbound interceptor on the node records everything the tests' bodies carry).
 */
class PermissionMatrixTest {
  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static BusbarNode node;
  private static Vertx client;
  private static int port;
  private static final Queue<String> onTheBus = new ConcurrentLinkedQueue<>();

  record Caller(String name, String sub, String token, Set<String> roles, String tenant) {
  }

  private static final List<Caller> CALLERS = List.of(
    new Caller("anonymous", null, null, Set.of(), null),
    new Caller("alice", "alice", Jwts.hs256(Jwts.claims("alice", 3600, "user")), Set.of("user"), null),
    new Caller("olga", "olga", Jwts.hs256(Jwts.claims("olga", 3600, "ops").put("tenant", "acme")), Set.of("ops"), "acme"));

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(1);
    node = cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("consumer").add("gateway"));
      JsonObject gateway = conf.getJsonObject("gateway");
      Jwts.authConfig(gateway.getJsonObject("auth")).put("rules", SecurityTest.rules());
      gateway.getJsonObject("limits").put("messagesPerSecondPerConnection", 1_000_000).put("messagesPerSecondPerToken", 1_000_000)
        .put("maxSubscriptionsPerSocket", 100_000);
    });
    port = cluster.httpPort(0);
    node.vertx().eventBus().addOutboundInterceptor(dc -> {
      Object body = dc.body();
      // Replies of the node's own echo service carry busbar-node, which no client can set (it is stripped).
      if (body instanceof JsonObject j && j.containsKey("matrix") && !dc.message().headers().contains("busbar-node")) {
        String sub = dc.message().headers().get("busbar-auth-sub");
        String action = !dc.send() ? "publish" : dc.message().replyAddress() != null ? "request" : "send";
        onTheBus.add((sub == null ? "anonymous" : sub) + "|" + action + "|" + dc.message().address());
      }
      dc.next();
    });
    client = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  // --- the oracle, written without the gateway's code

  static boolean expected(Caller c, Action action, String a) {
    if (a.isEmpty() || a.length() > 256 || a.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
      return false;
    }
    if (action == Action.SUBSCRIBE && a.equals("public.news")) {
      return true;
    }
    if (action == Action.PUBLISH && a.startsWith("public.inbox.") && lowerAlnum(a.substring(13), false)) {
      return true;
    }
    if (c.sub == null) {
      return false;
    }
    boolean inbound = action == Action.PUBLISH || action == Action.SEND || action == Action.REQUEST;
    if (inbound && (a.equals("svc.echo") || eventsInbound(a))) {
      return true;
    }
    if (action == Action.SUBSCRIBE && (a.equals("busbar.nodes")
      || a.startsWith("events.") && a.length() > 7 && a.substring(7).chars().noneMatch(ch -> ch == 0x85 || ch == 0x2028 || ch == 0x2029))) {
      return true;
    }
    if ((action == Action.SUBSCRIBE || action == Action.SEND) && a.equals("user." + c.sub + ".inbox")) {
      return true;
    }
    if (c.roles.contains("ops") && (action == Action.SEND || action == Action.REQUEST) && a.startsWith("ops.")
      && !a.substring(4).isEmpty() && a.substring(4).chars().allMatch(ch -> ch >= 'a' && ch <= 'z')) {
      return true;
    }
    return "acme".equals(c.tenant) && action == Action.PUBLISH && a.equals("tenant.acme.events");
  }

  private static boolean eventsInbound(String a) {
    if (!a.startsWith("events.")) {
      return false;
    }
    for (String segment : a.substring(7).split("\\.", -1)) {
      if (!lowerAlnum(segment, true)) {
        return false;
      }
    }
    return true;
  }

  private static boolean lowerAlnum(String s, boolean dashUnderscore) {
    return !s.isEmpty() && s.chars().allMatch(ch -> ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9'
      || dashUnderscore && (ch == '-' || ch == '_'));
  }

  // --- the addresses

  static List<String> addresses() {
    Set<String> out = new LinkedHashSet<>(List.of(
      "", ".", "..", "*", ".*", "#", ">", "events", "events.", "events..x", ".events.x", "events.orders", "events.ordersX",
      "events.orders.", "EVENTS.orders", "Events.orders", "events.ördérs", "events.订单", "événements.x", "events.\u202eredro",
      "events.\u200borders", "ｅvents.orders", "еvents.orders", "events.a\u2028b", "events.a\u0085b", "events.a\nb", "events.a\u0000b",
      "events. orders", " events.orders", "events.orders ", "\tevents.x", "events.a|svc.b", "events.a+", "events.(a)", "events\\.x",
      "events.a/b", "events.a?b=c", "events.a#b", "events.a%2Fb", "svc.echo", "svc.echo.x", "svc.echoX", "svc.ech0", "Svc.echo",
      " svc.echo", "svc.echo ", "svc.echo|x", "svc.other", "svc.", "svc", "busbar.nodes", "busbar.nodes.x", "busbar.nodesx", "busbar.",
      "busbar.dlq", "__vertx", "__vertx.", "__vertx.reply", "__vertx.reply.1", "__vertx.reply.00000000-0000-0000-0000-000000000000",
      "__vertx.ping", "__vertx.hazelcast", "user.alice.inbox", "user.bob.inbox", "user.olga.inbox", "user.alice.inbox.x", "user.alice.inboxx",
      "user..inbox", "user.{sub}.inbox", "user.ALICE.inbox", "user.alice", "user.*.inbox", "user.anonymous.inbox", "user.null.inbox",
      "ops.restart", "ops.Restart", "ops.restart.x", "ops.", "ops.1", "ops.rest art", "tenant.acme.events", "tenant.other.events",
      "tenant.acme.events.x", "tenant.ACME.events", "tenant.{tenant}.events", "public.news", "public.news.x", "public.newsx",
      "public.inbox.abc", "public.inbox.ABC", "public.inbox.", "public.inbox.a.b", "public.inbox.a-b", "r", "r1",
      "events." + "a".repeat(10_000), "events." + "a".repeat(249), "events." + "a".repeat(250), "svc.echo" + " ".repeat(300),
      "\uD83D\uDE00", "events.\uD83D\uDE00", "events.\uDFFF", "events.a\u007fb"));
    for (int i = 0; i < 40; i++) {
      out.add("__vertx.reply." + i);
      out.add("__vertx.reply." + java.util.UUID.nameUUIDFromBytes(new byte[] {(byte) i}));
      out.add("events.orders" + (char) ('A' + i % 26) + i);
      out.add("busbar.internal." + i);
      out.add("svc.service" + i);
    }
    List<String> seeds = List.of("events.orders", "svc.echo", "busbar.nodes", "user.alice.inbox", "ops.restart", "tenant.acme.events",
      "public.news", "public.inbox.abc", "events.a.b-c_d");
    String pool = "aZ.-_*?/ \u00e9\u4e2d\u2028\u0085\u0000\t|\\()[]{}$^+0";
    Random random = new Random(4);
    while (out.size() < 1_200) {
      StringBuilder s = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
      int edits = 1 + random.nextInt(3);
      for (int e = 0; e < edits; e++) {
        int at = random.nextInt(s.length() + 1);
        switch (random.nextInt(4)) {
          case 0 -> s.insert(at, pool.charAt(random.nextInt(pool.length())));
          case 1 -> s.deleteCharAt(Math.min(at, s.length() - 1));
          case 2 -> s.setCharAt(Math.min(at, s.length() - 1), pool.charAt(random.nextInt(pool.length())));
          default -> s.append('.').append(s, 0, Math.min(s.length(), 1 + random.nextInt(8)));
        }
        if (s.length() == 0) {
          s.append('x');
        }
      }
      out.add(s.toString());
    }
    return new ArrayList<>(out);
  }

  @Test
  void everyForbiddenCombinationIsRefusedAndNothingForbiddenReachesTheBus() {
    List<String> addresses = addresses();
    assertThat(addresses.size()).isGreaterThanOrEqualTo(1_000);
    int[] http = httpMatrix(addresses);
    int[] sockjs = sockJsMatrix(addresses);
    // Whatever reached the bus must have been allowed for that caller and action.
    List<String> leaked = new ArrayList<>();
    for (String record : onTheBus) {
      String[] parts = record.split("\\|", 3);
      Caller caller = CALLERS.stream().filter(c -> c.name.equals(parts[0])).findFirst().orElseThrow();
      if (!expected(caller, Action.parse(parts[1]), parts[2])) {
        leaked.add(record);
      }
    }
    System.out.printf("permission matrix: %d addresses x %d callers; HTTP %d checks (%d forbidden, all refused); SockJS %d checks"
        + " (%d forbidden, all refused); %d messages reached the bus, %d of them forbidden%n",
      addresses.size(), CALLERS.size(), http[0], http[1], sockjs[0], sockjs[1], onTheBus.size(), leaked.size());
    assertThat(leaked).isEmpty();
    // The interceptor does see what is allowed: the check above is not vacuous.
    assertThat(onTheBus).isNotEmpty();
  }

  /** Publish, send and request over HTTP; returns {checks, forbidden}. */
  private int[] httpMatrix(List<String> addresses) {
    WebClient web = WebClient.create(client, new WebClientOptions().setMaxInitialLineLength(65_536), new PoolOptions().setHttp1MaxSize(8));
    List<String> wrong = new ArrayList<>();
    AtomicInteger checks = new AtomicInteger();
    AtomicInteger forbidden = new AtomicInteger();
    for (Caller caller : CALLERS) {
      for (Action action : List.of(Action.PUBLISH, Action.SEND, Action.REQUEST)) {
        List<Future<?>> batch = new ArrayList<>();
        for (String address : addresses) {
          boolean allowed = expected(caller, action, address);
          HttpRequest<Buffer> request = web.post(port, "127.0.0.1", "/api/" + action.label() + "/" + encode(address) + "?timeout=200")
            .putHeader("content-type", "application/json");
          if (caller.token != null) {
            request.putHeader("authorization", "Bearer " + caller.token);
          }
          batch.add(request.sendBuffer(new JsonObject().put("matrix", true).toBuffer()).andThen(ar -> {
            checks.incrementAndGet();
            int status = ar.succeeded() ? ar.result().statusCode() : -1;
            boolean ok = allowed ? status == 200 || status == 202 || status == 503 || status == 504 : status >= 400 && status < 500;
            if (!allowed) {
              forbidden.incrementAndGet();
            }
            if (!ok) {
              synchronized (wrong) {
                wrong.add(caller.name + " " + action.label() + " '" + abbreviate(address) + "' -> " + status
                  + (ar.succeeded() ? " " + ar.result().bodyAsString() : " " + ar.cause()));
              }
            }
          }));
          if (batch.size() == 64) {
            Wait.await(Future.join(batch).otherwiseEmpty());
            batch.clear();
          }
        }
        Wait.await(Future.join(batch).otherwiseEmpty());
      }
    }
    assertThat(wrong).as("HTTP answers that disagree with the oracle").isEmpty();
    return new int[] {checks.get(), forbidden.get()};
  }

  /**
   * Publish, send, request and register over SockJS; returns {checks, forbidden}. All frames go out at
   * once; after each address's four frames comes a frame of an unknown type, which the bridge answers
   * {@code invalid_type} at once for any caller. The gate answers in order, so the refusals between two
   * markers belong to that address.
   */
  private int[] sockJsMatrix(List<String> addresses) {
    int checks = 0;
    int forbidden = 0;
    List<String> wrong = new ArrayList<>();
    for (Caller caller : CALLERS) {
      BridgeClient socket = BridgeClient.connect(port, caller.token);
      List<Integer> expectedRefusals = new ArrayList<>();
      for (String address : addresses) {
        int refusals = 0;
        for (Action action : List.of(Action.PUBLISH, Action.SEND, Action.REQUEST, Action.SUBSCRIBE)) {
          JsonObject frame = new JsonObject().put("address", address).put("body", new JsonObject().put("matrix", true));
          switch (action) {
            case PUBLISH -> frame.put("type", "publish");
            case SEND -> frame.put("type", "send");
            case REQUEST -> frame.put("type", "send").put("replyAddress", "r" + checks);
            default -> frame.put("type", "register");
          }
          socket.sendNoWait(frame);
          checks++;
          if (!expected(caller, action, address)) {
            refusals++;
            forbidden++;
          }
        }
        expectedRefusals.add(refusals);
        socket.sendNoWait(new JsonObject().put("type", "marker").put("address", "m"));
      }
      Wait.until(caller.name + ": every marker answered", Duration.ofSeconds(60),
        () -> socket.count(BridgeClient.err("invalid_type")) == addresses.size());
      int index = 0;
      int refusals = 0;
      for (JsonObject f : socket.frames) {
        if ("invalid_type".equals(f.getString("body"))) {
          if (refusals != expectedRefusals.get(index)) {
            wrong.add(caller.name + " '" + abbreviate(addresses.get(index)) + "': " + refusals + " refusals, expected " + expectedRefusals.get(index));
          }
          index++;
          refusals = 0;
        } else if ("err".equals(f.getString("type")) && f.getString("address") == null && !"rejected".equals(f.getString("body"))) {
          refusals++;
        }
      }
      socket.close();
    }
    assertThat(wrong).as("SockJS answers that disagree with the oracle").isEmpty();
    return new int[] {checks, forbidden};
  }

  private static String encode(String address) {
    StringBuilder out = new StringBuilder();
    for (byte b : address.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
        out.append((char) c);
      } else {
        out.append('%').append(String.format("%02X", c));
      }
    }
    return out.toString();
  }

  private static String abbreviate(String s) {
    String shown = s.replaceAll("\\p{Cntrl}", "?");
    return shown.length() > 60 ? shown.substring(0, 57) + "..." : shown;
  }

}
