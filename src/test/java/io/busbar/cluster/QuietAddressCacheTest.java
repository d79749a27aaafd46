package io.busbar.cluster;

import io.busbar.config.ConfigLoader;
import io.busbar.testing.Ports;
import io.busbar.testing.Wait;
import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two real clustered Vert.x nodes on Hazelcast, each behind a {@link QuietAddressCache} whose clock only
 * moves when a test moves it: the time-to-live never rescues a stale entry, so every subscriber found
 * here was found because the cache let go of the address when it should.
 */
class QuietAddressCacheTest {
  private static final int CAP = 50;
  /** Node a's clock; b's never moves. Only moved forward, and never while another test runs. */
  private static final AtomicLong clockA = new AtomicLong(1_000_000L);
  private static Node a;
  private static Node b;

  /** A node and how often its Hazelcast cluster manager was asked for an address's registrations. */
  private record Node(Vertx vertx, QuietAddressCache cache, AtomicInteger asks) {
  }

  @BeforeAll
  static void start() {
    String name = Ports.clusterName();
    int base = Ports.freeRange(2);
    a = node(name, base, 0, clockA::get);
    b = node(name, base, 1, () -> 1_000_000L);
  }

  private static Node node(String name, int base, int index, LongSupplier clock) {
    JsonObject cluster = ConfigLoader.defaults().getJsonObject("cluster").put("name", name).put("port", base + index).put("portCount", 1)
      .put("members", new JsonArray().add("127.0.0.1:" + base).add("127.0.0.1:" + (base + 1)));
    HazelcastConfigFactory.ClusterSettings settings = HazelcastConfigFactory.create(cluster);
    AtomicInteger asks = new AtomicInteger();
    HazelcastClusterManager hazelcast = new HazelcastClusterManager(settings.hazelcast()) {
      @Override
      public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
        asks.incrementAndGet();
        super.getRegistrations(address, promise);
      }
    };
    QuietAddressCache cache = new QuietAddressCache(hazelcast, clock, CAP);
    Vertx vertx = Wait.await(Vertx.builder().with(new VertxOptions().setEventBusOptions(settings.eventBus()))
      .withClusterManager(cache).buildClustered());
    return new Node(vertx, cache, asks);
  }

  @AfterAll
  static void stop() {
    for (Node n : new Node[] {b, a}) {
      if (n != null) {
        Wait.await(n.vertx().close());
      }
    }
  }

  private static Queue<Object> consume(Node node, String address) {
    Queue<Object> received = new ConcurrentLinkedQueue<>();
    MessageConsumer<Object> consumer = node.vertx().eventBus().consumer(address, m -> received.add(m.body()));
    Wait.await(consumer.completion());
    return received;
  }

  /** Publishes until {@code received} has something, bounded: another node's registration arrives a moment late. */
  private static void publishUntilReceived(Node from, String address, Queue<Object> received) {
    Wait.until("a publish on " + address + " to arrive", () -> {
      from.vertx().eventBus().publish(address, "x");
      return Wait.within(Duration.ofMillis(100), () -> !received.isEmpty());
    });
  }

  /** A request to an address nobody consumes fails with NO_HANDLERS once the node has asked where it goes. */
  private static void assertNoHandlers(Node from, String address) {
    assertThatThrownBy(() -> Wait.await(from.vertx().eventBus().request(address, "?")))
      .hasCauseInstanceOf(ReplyException.class)
      .satisfies(e -> assertThat(((ReplyException) e.getCause()).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS));
  }

  @Test
  void aQuietAddressIsAskedAboutOnceNotOnEveryEvent() {
    int before = a.asks().get();
    for (int i = 0; i < 20; i++) {
      assertNoHandlers(a, "quiet.once");
    }
    assertThat(a.asks().get() - before).isEqualTo(1);
  }

  @Test
  void aSubscriberOnAnotherNodeIsFoundOnceItRegisters() {
    String address = "quiet.remote";
    assertNoHandlers(a, address);
    Queue<Object> received = consume(b, address);
    publishUntilReceived(a, address, received);
  }

  @Test
  void aSubscriberOnThisNodeIsFoundAtOnce() {
    String address = "quiet.local";
    assertNoHandlers(a, address);
    Queue<Object> received = consume(a, address);
    a.vertx().eventBus().publish(address, "you");
    Wait.until("the publish after the registration", () -> received.contains("you"));
  }

  @Test
  void pastTheCapAQuietAddressIsAskedAboutEveryTime() {
    // On node b, so that the cap does not change what the other tests see on a.
    for (int i = 0; i < CAP; i++) {
      assertNoHandlers(b, "quiet.many." + i);
    }
    assertThat(b.cache().size()).isEqualTo(CAP);
    int before = b.asks().get();
    for (int i = 0; i < 3; i++) {
      assertNoHandlers(b, "quiet.over.cap");
    }
    assertThat(b.asks().get() - before).isEqualTo(3);
  }

  @Test
  void anAddressIsKnownQuietOnlyOnceAskedAndUntilASubscriberRegistersOnAnotherNode() {
    String address = "quiet.known.remote";
    assertThat(a.cache().knownQuiet(address)).isFalse();
    assertNoHandlers(a, address);
    assertThat(QuietAddressCache.knownQuiet(a.vertx()).test(address)).isTrue();
    consume(b, address);
    Wait.until("b's registration to reach a", () -> !a.cache().knownQuiet(address));
  }

  @Test
  void anAddressIsNoLongerKnownQuietOnceThisNodeSubscribes() {
    String address = "quiet.known.local";
    assertNoHandlers(a, address);
    consume(a, address);
    assertThat(a.cache().knownQuiet(address)).isFalse();
  }

  @Test
  void anAddressIsNoLongerKnownQuietAfterTheTimeToLive() {
    String address = "quiet.known.expiring";
    assertNoHandlers(a, address);
    clockA.addAndGet(QuietAddressCache.TTL_MS - 1);
    assertThat(a.cache().knownQuiet(address)).isTrue();
    clockA.incrementAndGet();
    assertThat(a.cache().knownQuiet(address)).isFalse();
  }

  @Test
  void aVertxWithoutTheCacheKnowsNoAddressAsQuiet() {
    Vertx plain = Vertx.vertx();
    try {
      assertThat(QuietAddressCache.knownQuiet(plain).test("anything")).isFalse();
    } finally {
      Wait.await(plain.close());
    }
  }
}
