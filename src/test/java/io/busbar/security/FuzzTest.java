package io.busbar.security;

import io.busbar.BusbarNode;
import io.busbar.testing.BridgeClient;
import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing a running node: malformed HTTP requests (through an HTTP client, and as raw bytes on TCP) and
 * malformed SockJS frames (raw WebSocket and XHR). Not one 5xx, the node keeps answering a well-behaved
 * client throughout, and its heap returns to the baseline afterwards (node and fuzzer share this JVM, so
 * the measure is an upper bound).
 */
class FuzzTest {
  private static final int HTTP_CASES = 5_000;
  private static final int RAW_CASES = 1_000;
  private static final int FRAME_CASES = 5_000;

  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static BusbarNode node;
  private static Vertx client;
  private static int port;
  private final Random random = new Random(7);
  private final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster(1);
    node = cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("consumer").add("gateway"));
      conf.getJsonObject("gateway").getJsonObject("limits").put("messagesPerSecondPerConnection", 1_000_000)
        .put("messagesPerSecondPerToken", 1_000_000).put("maxConnectionsPerIp", 10_000);
      conf.getJsonObject("gateway").getJsonObject("auth").put("enabled", true).put("hs256Secrets", new JsonArray().add("f".repeat(40)))
        .put("rules", new JsonArray().add(new JsonObject().put("who", "public").put("actions", new JsonArray().add("publish").add("send").add("request").add("subscribe"))
          .put("addressRegex", "events\\..+|svc\\.echo")));
    });
    port = cluster.httpPort(0);
    client = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  @Test
  void malformedInputNeverGets5xxAndTheNodeKeepsServing() {
    long heapBefore = settledHeap();
    WellBehaved witness = new WellBehaved();
    witness.start();
    long t0 = System.nanoTime();
    int http = fuzzHttp();
    long t1 = System.nanoTime();
    int raw = fuzzRawHttp();
    long t2 = System.nanoTime();
    int frames = fuzzSockJs();
    long t3 = System.nanoTime();
    System.out.printf("fuzz: HTTP %.1f s, raw TCP %.1f s, SockJS %.1f s%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
    witness.stop();
    long heapAfter = settledHeap();

    int fiveXx = statuses.entrySet().stream().filter(e -> e.getKey().startsWith("5")).mapToInt(e -> e.getValue().get()).sum();
    System.out.printf("fuzz: %d HTTP requests, %d raw TCP requests, %d SockJS frames; status counts %s; well-behaved client %d ok,"
        + " %d failed; heap %d MB before, %d MB after%n", http, raw, frames, new TreeMap<>(statuses), witness.ok.get(), witness.failed.get(),
      heapBefore >> 20, heapAfter >> 20);
    assertThat(http + raw + frames).isGreaterThanOrEqualTo(10_000);
    assertThat(fiveXx).isZero();
    assertThat(statuses).as("every SockJS XHR request gets an HTTP answer").doesNotContainKey("xhr-no-answer");
    assertThat(witness.failed.get()).isZero();
    assertThat(witness.ok.get()).isPositive();
    assertThat(heapAfter).isLessThan(heapBefore + 48L * 1024 * 1024);
    HttpResponse<Buffer> health = Wait.await(WebClient.create(client).get(port, "127.0.0.1", "/health").send());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  // --- HTTP through a client: valid HTTP, malformed content

  private int fuzzHttp() {
    WebClient web = WebClient.create(client, new WebClientOptions().setMaxHeaderSize(65_536), new PoolOptions().setHttp1MaxSize(16));
    List<String> paths = List.of("/api/publish/events.x", "/api/send/events.x", "/api/request/svc.echo", "/api/publish/", "/api/request/svc.echo?timeout=",
      "/api/request/svc.echo?timeout=-1", "/api/request/svc.echo?timeout=99999999999", "/api/publish/%00", "/api/publish/%ZZ", "/api/publish/a%2F..%2F..",
      "/eventbus/info", "/eventbus/000/abc/xhr_send", "/eventbus/000/SESSION/xhr", "/eventbus/x/y/z/w", "/eventbus/websocket", "/health", "/ready",
      "/api/publish/events." + "a".repeat(3000), "/api//publish/x", "/api/publish/events.x/extra", "/", "/api", "/api/deliver/x");
    List<String> types = List.of("application/json", "application/cloudevents+json", "text/plain", "application/json; charset=latin1",
      "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "", "application/json;;;", "*/*", "application/cloudevents-batch+json");
    List<Future<?>> batch = new ArrayList<>();
    for (int i = 0; i < HTTP_CASES; i++) {
      HttpMethod method = List.of(HttpMethod.POST, HttpMethod.POST, HttpMethod.POST, HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE,
        HttpMethod.OPTIONS, HttpMethod.PATCH, HttpMethod.HEAD).get(random.nextInt(9));
      // A fresh session each time: a second poll of one session legitimately waits for data (long polling).
      String path = paths.get(random.nextInt(paths.size())).replace("SESSION", "s" + i);
      HttpRequest<Buffer> request = web.request(method, port, "127.0.0.1", path).timeout(10_000);
      request.putHeader("content-type", types.get(random.nextInt(types.size())));
      for (int h = random.nextInt(4); h > 0; h--) {
        String[] header = List.of(
          new String[] {"ce-specversion", pick("1.0", "0.3", "", "2", "1.0\u00e9")}, new String[] {"ce-id", pick("", "x".repeat(5000), "id")},
          new String[] {"ce-source", pick("::", "", "http://[bad", "/ok")}, new String[] {"ce-type", pick("", "t")},
          new String[] {"ce-time", pick("yesterday", "2020-13-45T99:99:99Z", "")}, new String[] {"authorization", pick("Bearer", "Bearer a.b.c", "Basic x", "Bearer " + "e".repeat(20_000))},
          new String[] {"origin", pick("null", "http://evil", "")}, new String[] {"busbar-auth-sub", "root"}, new String[] {"x-junk", "y".repeat(random.nextInt(10_000))},
          new String[] {"accept-encoding", pick("gzip", "\u0000")}, new String[] {"ce-subject", pick("", "s".repeat(9000))}
        ).get(random.nextInt(11));
        try {
          request.putHeader(header[0], header[1]);
        } catch (IllegalArgumentException ignored) {
          // the client refuses some of these itself
        }
      }
      String shown = method + " " + (path.length() > 40 ? path.substring(0, 40) : path) + " " + request.headers().names();
      batch.add(request.sendBuffer(Buffer.buffer(body())).andThen(ar -> {
        if (ar.succeeded() && ar.result().statusCode() >= 500) {
          count("HTTP " + shown + " got " + ar.result().statusCode() + " " + ar.result().bodyAsString());
        }
      }).andThen(ar -> count(ar.succeeded() ? String.valueOf(ar.result().statusCode())
        : ar.cause() instanceof java.util.concurrent.TimeoutException || String.valueOf(ar.cause()).contains("imeout") ? "client-timeout"
        : "client-error " + ar.cause().getClass().getSimpleName())));
      if (batch.size() == 64) {
        Wait.await(Future.join(batch).otherwiseEmpty());
        batch.clear();
      }
    }
    Wait.await(Future.join(batch).otherwiseEmpty());
    return HTTP_CASES;
  }

  private byte[] body() {
    switch (random.nextInt(12)) {
      case 0: return new byte[0];
      case 1: return "{".getBytes();
      case 2: return "{\"a\":".repeat(random.nextInt(2000)).getBytes();
      case 3: return new byte[] {(byte) 0xc3, (byte) 0x28, (byte) 0xff, (byte) 0xfe, '"'};
      case 4: return ("\"" + "z".repeat(random.nextInt(100_000)) + "\"").getBytes();
      case 5: return "[".repeat(5000).getBytes();
      case 6: return "123456789012345678901234567890".getBytes();
      case 7: return "{\"specversion\":1,\"id\":{},\"source\":[],\"type\":null,\"data\":\"x\"}".getBytes();
      case 8: return "{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"/s\",\"type\":\"t\",\"datacontenttype\":\"text/xml\",\"data\":\"<a/>\"}".getBytes();
      case 9: return "[\"{\\\"type\\\":\\\"send\\\"}\", 1, null, {}]".getBytes();
      case 10: {
        byte[] b = new byte[random.nextInt(3000)];
        random.nextBytes(b);
        return b;
      }
      default: return "{\"ok\":true}".getBytes();
    }
  }

  // --- raw bytes on TCP: malformed HTTP itself

  private int fuzzRawHttp() {
    NetClient net = client.createNetClient(new NetClientOptions().setConnectTimeout(5000));
    List<String> requests = List.of(
      "GET / HTTP/1.1\r\n\r\n", "GARBAGE\r\n\r\n", "POST /api/publish/events.x HTTP/9.9\r\nHost: x\r\n\r\n", "\r\n\r\n\r\n",
      "POST /api/publish/events.x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{\"a\":",
      "POST /api/publish/events.x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\nxx\r\n",
      "POST /api/publish/events.x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n12345",
      "POST /api/publish/events.x HTTP/1.1\r\nHost x\r\n\r\n", "GET /" + "a".repeat(70_000) + " HTTP/1.1\r\n\r\n",
      "GET /eventbus/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
      "GET /eventbus/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 99\r\n\r\n",
      "POST /api/publish/\u00ff\u00fe HTTP/1.1\r\nHost: x\r\n\r\n", "POST /api/publish/events.x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -5\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET /health HTTP/1.1\r\nHost: x\r\nX: " + "h".repeat(20_000) + "\r\n\r\n", "GET /health HTTP/1.1\r\n" + "H: v\r\n".repeat(5000) + "\r\n");
    List<Future<?>> batch = new ArrayList<>();
    for (int i = 0; i < RAW_CASES; i++) {
      int which = random.nextInt(requests.size());
      String text = requests.get(which);
      byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
      if (random.nextInt(4) == 0) {
        bytes = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length + 1)); // truncated
      }
      byte[] send = bytes;
      Promise<Void> done = Promise.promise();
      net.connect(port, "127.0.0.1").onFailure(e -> {
        count("connect-failed");
        done.tryComplete();
      }).onSuccess(socket -> {
        Buffer received = Buffer.buffer();
        long timer = client.setTimer(300, t -> socket.close());
        socket.handler(received::appendBuffer);
        socket.closeHandler(v -> {
          client.cancelTimer(timer);
          String head = received.length() >= 12 ? received.getString(0, 12) : "";
          String status = head.startsWith("HTTP/1.") ? head.substring(9, 12) : "closed-without-status";
          count(status);
          if (status.startsWith("5")) {
            count("raw request #" + which + " got " + status);
          }
          done.tryComplete();
        });
        socket.write(Buffer.buffer(send));
      });
      batch.add(done.future());
      if (batch.size() == 50) {
        Wait.await(Future.join(batch).otherwiseEmpty());
        batch.clear();
      }
    }
    Wait.await(Future.join(batch).otherwiseEmpty());
    // Also keeps the client reachable until here: Vert.x closes an unreachable NetClient (a Cleaner),
    // sockets and all, which would end the last batch's exchanges early.
    Wait.await(net.close());
    return RAW_CASES;
  }

  // --- SockJS frames

  private int fuzzSockJs() {
    // SockJS's XHR polling closes the connection after each poll: a pooled keep-alive client would
    // race that close with its next request (and may wait for an answer that never comes), so each
    // XHR request here gets its own connection, as a browser's would after a close.
    WebClient xhr = WebClient.create(client, new WebClientOptions().setKeepAlive(false));
    BridgeClient socket = null;
    int reconnects = 0;
    for (int i = 0; i < FRAME_CASES; i++) {
      if (socket == null || socket.closed) {
        if (socket != null) {
          count("socket-closed-by-node");
          reconnects++;
        }
        socket = BridgeClient.connect(port, null);
      }
      if (i % 500 == 0) {
        socket.sendNoWait(new JsonObject().put("type", "ping"));
      }
      Buffer frame = Buffer.buffer(frame());
      if (random.nextBoolean()) {
        socket.sendText(frame.toString(StandardCharsets.UTF_8));
      } else {
        socket.sendBinary(frame);
      }
      if (i % 200 == 0) {
        // Over the XHR transports too, the frames wrapped as SockJS expects and not.
        xhrSend(xhr, frame);
        Wait.within(Duration.ofMillis(20), () -> false);
      }
    }
    System.out.println("fuzz: the node closed " + reconnects + " fuzzing sockets");
    if (socket != null) {
      socket.close();
    }
    xhr.close();
    return FRAME_CASES;
  }

  private void xhrSend(WebClient web, Buffer frame) {
    String session = "/eventbus/000/" + random.nextInt(1_000_000);
    Wait.await(web.post(port, "127.0.0.1", session + "/xhr").send().andThen(ar -> count(ar.succeeded() ? "" + ar.result().statusCode() : "xhr-no-answer")).otherwiseEmpty());
    for (Buffer body : List.of(frame, Buffer.buffer("[" + new JsonArray().add(frame.toString()).encode().substring(1)), Buffer.buffer("[\"x\""), Buffer.buffer(""))) {
      Wait.await(web.post(port, "127.0.0.1", session + "/xhr_send").sendBuffer(body)
        .andThen(ar -> count(ar.succeeded() ? "" + ar.result().statusCode() : "xhr-no-answer")).otherwiseEmpty());
    }
  }

  private byte[] frame() {
    Object[] values = {null, 1, -1.5, true, "", "x".repeat(200), new JsonObject(), new JsonArray().add(1), "events.x", "svc.echo",
      "__vertx.reply.1", "x".repeat(70_000), new JsonObject().put("a", new JsonObject().put("b", new JsonArray())), 9_223_372_036_854_775_807L};
    String[] keys = {"type", "address", "body", "headers", "replyAddress", "extra"};
    String[] typeNames = {"send", "publish", "register", "unregister", "ping", "rec", "err", "SEND", ""};
    switch (random.nextInt(8)) {
      case 0: return "{".getBytes();
      case 1: return new byte[] {'{', '"', 't', (byte) 0xc3, (byte) 0x28, '"', ':', '1', '}'};
      case 2: {
        byte[] b = new byte[random.nextInt(500)];
        random.nextBytes(b);
        return b;
      }
      case 3: return ("{\"type\":\"send\",\"address\":\"svc.echo\",\"body\":" + "[".repeat(3000) + "}").getBytes();
      default: {
        JsonObject o = new JsonObject();
        o.put("type", random.nextInt(3) == 0 ? values[random.nextInt(values.length)] : typeNames[random.nextInt(typeNames.length)]);
        for (String key : keys) {
          if (random.nextBoolean()) {
            Object v = values[random.nextInt(values.length)];
            if (key.equals("headers") && random.nextBoolean()) {
              v = new JsonObject().put("busbar-auth-sub", "root").put("authorization", random.nextBoolean() ? "Bearer x" : 5).put("k", new JsonArray());
            }
            o.put(key, v);
          }
        }
        String text = o.encode();
        return (random.nextInt(5) == 0 ? text.substring(0, random.nextInt(text.length())) : text).getBytes(StandardCharsets.UTF_8);
      }
    }
  }

  private String pick(String... options) {
    return options[random.nextInt(options.length)];
  }

  private void count(String key) {
    statuses.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
  }

  private static long settledHeap() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Wait.within(Duration.ofMillis(200), () -> false);
      least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
    }
    return least;
  }

  /** Requests the echo service every 20 ms over HTTP and over a socket; every answer must come. */
  private final class WellBehaved {
    final AtomicLong ok = new AtomicLong();
    final AtomicLong failed = new AtomicLong();
    private final WebClient web = WebClient.create(client);
    private BridgeClient socket;
    private long timer;
    private int seq;

    void start() {
      socket = BridgeClient.connect(port, null);
      timer = client.setPeriodic(20, id -> {
        web.post(port, "127.0.0.1", "/api/request/svc.echo").putHeader("content-type", "application/json")
          .sendBuffer(Buffer.buffer("{\"n\":1}")).onComplete(ar -> (ar.succeeded() && ar.result().statusCode() == 200 ? ok : failed).incrementAndGet());
        socket.sendNoWait(new JsonObject().put("type", "send").put("address", "svc.echo").put("body", seq).put("replyAddress", "w" + seq++));
        if (seq % 100 == 0) {
          socket.sendNoWait(new JsonObject().put("type", "ping")); // else the bridge closes a silent client after pingTimeoutMs
        }
      });
    }

    void stop() {
      client.cancelTimer(timer);
      Wait.until("the socket's echo replies", () -> socket.count(f -> f.getString("address", "").startsWith("w") && "rec".equals(f.getString("type"))) == seq);
      ok.addAndGet(seq);
      assertThat(socket.closed).isFalse();
      socket.close();
    }
  }
}
