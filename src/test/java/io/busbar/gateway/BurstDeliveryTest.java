package io.busbar.gateway;

import io.busbar.testing.BridgeClient;
import io.busbar.testing.OneNode;
import io.busbar.testing.Wait;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A burst of publishes, fanned out while more are queued (so the sockets' flushes are held and each
 * socket gets several frames per write): every subscriber, on the raw endpoint and on the SockJS
 * WebSocket transport browsers use, receives every event once, in the one order the fan-out wrote them.
 */
class BurstDeliveryTest {
  private static final String ADDRESS = "events.burst";
  private static final int EVENTS = 300;

  @RegisterExtension
  static final OneNode node = new OneNode(conf -> conf.put("roles", new JsonArray().add("gateway")));

  private static Vertx client;

  @BeforeAll
  static void start() {
    client = Vertx.vertx();
  }

  @AfterAll
  static void stop() {
    Wait.await(client.close());
  }

  @Test
  void everySubscriberOnEitherTransportGetsEveryEventOfABurstInTheSameOrder() {
    List<BridgeClient> raw = new ArrayList<>();
    WebSocketClient sockJsClients = client.createWebSocketClient();
    List<List<Integer>> sockJs = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        BridgeClient c = BridgeClient.connect(node.port(), null);
        c.send(new JsonObject().put("type", "register").put("address", ADDRESS));
        raw.add(c);
      }
      for (int i = 0; i < 3; i++) {
        sockJs.add(sockJsSubscriber(sockJsClients, "/eventbus/000/burst" + i + "/websocket"));
      }
      // Registered everywhere once a probe reaches every socket.
      WebClient http = WebClient.create(client, new WebClientOptions().setPipelining(true), new PoolOptions().setHttp1MaxSize(8));
      Wait.until("every socket subscribed", () -> {
        publish(http, -1);
        return raw.stream().allMatch(c -> c.count(BurstDeliveryTest::isProbe) > 0)
          && sockJs.stream().allMatch(seen -> seen.contains(-1));
      });

      List<Future<?>> published = new ArrayList<>();
      for (int i = 0; i < EVENTS; i++) {
        published.add(publish(http, i));
      }
      Wait.await(Future.all(published));

      Wait.until("every event on every socket", () -> raw.stream().allMatch(c -> seqs(c).size() >= EVENTS)
        && sockJs.stream().allMatch(seen -> seen.stream().filter(s -> s >= 0).count() >= EVENTS));
      List<Integer> order = seqs(raw.get(0));
      assertThat(order).as("each event once").doesNotHaveDuplicates().hasSize(EVENTS);
      for (BridgeClient c : raw) {
        assertThat(seqs(c)).as("a raw subscriber").isEqualTo(order);
      }
      for (List<Integer> seen : sockJs) {
        assertThat(seen.stream().filter(s -> s >= 0).toList()).as("a SockJS subscriber").isEqualTo(order);
      }
    } finally {
      raw.forEach(BridgeClient::close);
      Wait.await(sockJsClients.close());
    }
  }

  private static Future<?> publish(WebClient http, int seq) {
    return http.post(node.port(), "127.0.0.1", "/api/publish/" + ADDRESS).putHeader("content-type", "application/json")
      .timeout(10_000).sendBuffer(Buffer.buffer("{\"seq\":" + seq + "}"))
      // A failed future, not an assertion in a callback: Future.all then fails the test's await.
      .compose(r -> r.statusCode() == 202 ? Future.succeededFuture()
        : Future.failedFuture("publish " + seq + " answered " + r.statusCode() + ": " + r.bodyAsString()));
  }

  /** A SockJS WebSocket-transport subscriber: what it receives, as the events' {@code seq}, in order. */
  private static List<Integer> sockJsSubscriber(WebSocketClient clients, String uri) {
    List<Integer> seen = new CopyOnWriteArrayList<>();
    WebSocket ws = Wait.await(clients.connect(node.port(), "127.0.0.1", uri));
    ws.textMessageHandler(frame -> {
      // SockJS framing: "o" open, "h" heartbeat, a[...] a batch of messages, each one bridge frame.
      if (frame.startsWith("a")) {
        for (Object message : new JsonArray(frame.substring(1))) {
          JsonObject rec = new JsonObject((String) message);
          if ("rec".equals(rec.getString("type"))) {
            seen.add(rec.getJsonObject("body").getInteger("seq"));
          }
        }
      }
    });
    String register = new JsonObject().put("type", "register").put("address", ADDRESS).encode();
    Wait.await(ws.writeTextMessage(new JsonArray().add(register).encode()));
    return seen;
  }

  private static boolean isProbe(JsonObject frame) {
    return "rec".equals(frame.getString("type")) && frame.getJsonObject("body").getInteger("seq") == -1;
  }

  private static List<Integer> seqs(BridgeClient c) {
    List<Integer> seqs = new ArrayList<>();
    for (JsonObject f : c.frames) {
      if ("rec".equals(f.getString("type"))) {
        int seq = f.getJsonObject("body").getInteger("seq");
        if (seq >= 0) {
          seqs.add(seq);
        }
      }
    }
    return seqs;
  }
}
