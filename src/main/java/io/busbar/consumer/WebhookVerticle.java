package io.busbar.consumer;

import io.busbar.Addresses;
import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Forwards the events of configured addresses to HTTP endpoints as CloudEvents (binary mode: the
 * event's {@code ce-*} headers, filled in where missing, plus {@code ce-busbaraddress}). Consumes
 * every address named by an endpoint of {@code consumer.webhook.endpoints}; dead letters go through
 * {@link io.busbar.cluster.DeadLetters} (so to {@code busbar.dlq.<address>}).
 *
 * <p>Each endpoint has its own bounded queue, concurrency limit and retries ({@link WebhookEndpoint}).
 * A published event reaches the forwarder of every node that runs one; the node that first claims
 * {@code endpoint|id} in the cluster-wide map {@value #CLAIMS} forwards it, the others drop their copy.
 * Fails to start only if its consumers cannot register; an endpoint that is down never stops the
 * node, its events are retried and finally dead-lettered.
 */
public class WebhookVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookVerticle.class);
  /** Hazelcast map of claims: which node forwards an event to an endpoint. */
  public static final String CLAIMS = "busbar.webhook.claims";
  /** CloudEvents extension attribute naming the address the event was on. */
  public static final String HEADER_ADDRESS = "ce-busbaraddress";
  static final String DEFAULT_TYPE = "io.busbar.event";

  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private final List<WebhookEndpoint> endpoints = new ArrayList<>();
  private final List<WebClient> clients = new ArrayList<>();
  private NodeContext node;
  private long claimTtlSeconds;

  @Override
  public Future<?> start() {
    node = NodeContext.of(vertx);
    claimTtlSeconds = config().getInteger("claimTtlSeconds");
    Map<String, List<WebhookEndpoint>> byAddress = new LinkedHashMap<>();
    for (Object item : config().getJsonArray("endpoints")) {
      JsonObject conf = (JsonObject) item;
      // One client per endpoint: its pool size is the endpoint's concurrency limit.
      WebClient client = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(conf.getInteger("maxConcurrency", 4)));
      clients.add(client);
      WebhookEndpoint endpoint = new WebhookEndpoint(vertx, client, conf);
      endpoints.add(endpoint);
      for (Object address : conf.getJsonArray("addresses")) {
        byAddress.computeIfAbsent((String) address, a -> new ArrayList<>()).add(endpoint);
      }
    }
    // One consumer per address, fanning out to its endpoints: with two consumers, a send would reach only one.
    List<Future<Void>> registered = new ArrayList<>();
    byAddress.forEach((address, targets) -> {
      MessageConsumer<Object> consumer = vertx.eventBus().consumer(address, msg -> accept(msg, targets));
      consumers.add(consumer);
      registered.add(consumer.completion());
    });
    endpoints.forEach(e -> LOG.info("forwarding {} to webhook '{}'", addressesOf(byAddress, e), e.name()));
    return Future.all(registered);
  }

  @Override
  public Future<?> stop() {
    List<Future<Void>> unregistered = new ArrayList<>();
    consumers.forEach(c -> unregistered.add(c.unregister()));
    return Future.join(unregistered)
      .compose(v -> {
        List<Future<Void>> stopped = new ArrayList<>();
        endpoints.forEach(e -> stopped.add(e.stop()));
        return Future.join(stopped);
      })
      .onComplete(v -> clients.forEach(WebClient::close));
  }

  private void accept(Message<Object> msg, List<WebhookEndpoint> targets) {
    String givenId = msg.headers().get(Addresses.HEADER_ID);
    WebhookEndpoint.Event event = toEvent(msg, givenId == null ? UUID.randomUUID().toString() : givenId);
    if (msg.replyAddress() != null) {
      // A request (or a delivery) is acknowledged once the event is queued: from here on it is either
      // forwarded or dead-lettered.
      msg.reply(new JsonObject().put("id", event.id()).put("queuedFor", targets.size()));
    }
    for (WebhookEndpoint endpoint : targets) {
      if (givenId == null) {
        // Without an id no two nodes can agree that they hold the same event: forward this copy.
        endpoint.offer(event);
      } else {
        claim(endpoint, event);
      }
    }
  }

  /**
   * Ordered, so that the events of one address reach the endpoint's queue in the order they arrived.
   * If the claim map cannot be reached, forward anyway: a rare duplicate beats a lost event.
   */
  private void claim(WebhookEndpoint endpoint, WebhookEndpoint.Event event) {
    String key = endpoint.name() + "|" + event.id();
    vertx.executeBlocking(() -> node.hazelcast() == null
        || node.hazelcast().getMap(CLAIMS).putIfAbsent(key, node.nodeId, claimTtlSeconds, TimeUnit.SECONDS) == null, true)
      .onSuccess(won -> {
        if (won) {
          endpoint.offer(event);
        }
      })
      .onFailure(e -> {
        LOG.warn("event {}: claim for webhook '{}' failed ({}), forwarding anyway", event.id(), endpoint.name(), e.toString());
        endpoint.offer(event);
      });
  }

  private WebhookEndpoint.Event toEvent(Message<Object> msg, String id) {
    Map<String, String> headers = new HashMap<>();
    msg.headers().forEach(h -> {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.startsWith("ce-")) {
        headers.put(name, h.getValue());
      }
    });
    headers.put(Addresses.HEADER_ID, id);
    headers.putIfAbsent(Addresses.HEADER_SPECVERSION, "1.0");
    headers.putIfAbsent(Addresses.HEADER_SOURCE, "/busbar/" + node.nodeId);
    headers.putIfAbsent(Addresses.HEADER_TYPE, DEFAULT_TYPE);
    headers.put(HEADER_ADDRESS, msg.address());
    headers.put(Addresses.HEADER_CONTENT_TYPE, msg.body() instanceof Buffer ? "application/octet-stream" : "application/json");
    return new WebhookEndpoint.Event(id, msg.address(), msg.body(), headers);
  }

  private static List<String> addressesOf(Map<String, List<WebhookEndpoint>> byAddress, WebhookEndpoint endpoint) {
    return byAddress.entrySet().stream().filter(e -> e.getValue().contains(endpoint)).map(Map.Entry::getKey).toList();
  }
}
