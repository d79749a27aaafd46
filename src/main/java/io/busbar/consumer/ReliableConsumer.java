package io.busbar.consumer;

import io.busbar.Addresses;
import io.busbar.cluster.Dedup;
import io.busbar.cluster.Reliability;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A reliable handler of one address: what a verticle registers instead of {@code eventBus().consumer}
 * to take part in acknowledged delivery ({@code POST /api/deliver}).
 *
 * <pre>{@code
 * ReliableConsumer c = ReliableConsumer.register(vertx, "events.orders", event -> store(event.body()));
 * return c.completion();   // in start(); c.unregister() in stop()
 * }</pre>
 *
 * <p>For every event with a {@code ce-id} it first claims the id in the cluster-wide deduplication map:
 * an id already handled is acknowledged again without calling the handler; an id being handled by
 * another live node is answered "in progress" (the sender asks again later). The handler's Future
 * decides: success marks the id done and acknowledges, failure releases the id and rejects the event
 * (the sender retries and eventually dead-letters it). Events that are not deliveries (a publish or a
 * fire-and-forget send: no reply is expected) or carry no {@code ce-id} are handled as a plain consumer
 * would, without deduplication: a published event still reaches every consumer of the address.
 *
 * <p>Failure codes of the reply, which the sender acts on: {@link #REJECTED} (the handler failed),
 * {@link #BUSY} (more than {@code reliability.consumer.maxInFlight} events in progress here),
 * {@link #IN_PROGRESS}, {@link #DRAINING} (this consumer is unregistering), {@link #UNAVAILABLE}
 * (the deduplication map could not be reached).
 *
 * <p>Remaining window, stated plainly: if this node dies after the handler's Future succeeded but
 * before the "done" mark reached the map (one asynchronous map write, a millisecond on a LAN), the
 * lease owner is gone, a retry takes the id over and the handler runs a second time. Handlers with
 * external effects should still be idempotent for that window.
 */
public final class ReliableConsumer {
  private static final Logger LOG = LoggerFactory.getLogger(ReliableConsumer.class);
  public static final int REJECTED = 422;
  public static final int BUSY = 429;
  public static final int IN_PROGRESS = 409;
  public static final int DRAINING = 503;
  public static final int UNAVAILABLE = 500;
  public static final int NO_ID = 400;

  /** An event as a reliable handler sees it. {@code id} is null for events sent without a {@code ce-id}. */
  public record Event(String id, String address, Object body, Map<String, String> headers) {
  }

  private final Vertx vertx;
  private final Context context;
  private final String address;
  private final Function<Event, Future<Void>> handler;
  private final Reliability reliability;
  private final MessageConsumer<Object> consumer;
  private final Promise<Void> idle = Promise.promise();
  private final Runnable removeDrainHook;
  private final java.util.Set<String> inProgressHere = new java.util.HashSet<>();
  private int inFlight;
  private boolean stopping;

  private ReliableConsumer(Vertx vertx, String address, Function<Event, Future<Void>> handler) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.address = address;
    this.handler = handler;
    this.reliability = Reliability.of(vertx);
    this.consumer = vertx.eventBus().consumer(address, this::onMessage);
    this.removeDrainHook = reliability.onDrain(this::unregister);
  }

  /**
   * Registers {@code handler} for {@code address}; call it from a verticle (the handler runs on that
   * verticle's context). Wait for {@link #completion()} before expecting deliveries from other nodes.
   */
  public static ReliableConsumer register(Vertx vertx, String address, Function<Event, Future<Void>> handler) {
    return new ReliableConsumer(vertx, address, handler);
  }

  /** Completes once the registration has reached the cluster. */
  public Future<Void> completion() {
    return consumer.completion();
  }

  public String address() {
    return address;
  }

  /**
   * Stops taking new events (senders retry them elsewhere), unregisters, and completes once the
   * handlers in progress have finished and been acknowledged.
   */
  public Future<Void> unregister() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (!stopping) {
        stopping = true;
        removeDrainHook.run();
        if (inFlight == 0) {
          idle.tryComplete();
        }
      }
      consumer.unregister().onComplete(u -> idle.future().onComplete(i -> done.tryComplete()));
    });
    return done.future();
  }

  private void onMessage(Message<Object> msg) {
    String id = msg.headers().get(Addresses.HEADER_ID);
    if (stopping) {
      fail(msg, DRAINING, "the consumer of '" + address + "' is shutting down");
      return;
    }
    if (inFlight >= reliability.settings.consumerMaxInFlight()) {
      fail(msg, BUSY, "the consumer of '" + address + "' has " + inFlight + " events in progress");
      return;
    }
    // Only acknowledged deliveries (a request with an id) are deduplicated; a publish reaches every consumer.
    boolean dedup = id != null && msg.replyAddress() != null;
    if (dedup && !inProgressHere.add(id)) {
      // A retry of an event this node is still on (claiming or handling): no second claim, no second slot.
      fail(msg, IN_PROGRESS, "event " + id + " is being handled");
      return;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
    Event event = new Event(id, address, msg.body(), headers);
    inFlight++;
    Future<JsonObject> outcome = dedup ? handleOnce(event) : handle(event).map(v -> ack(false));
    outcome.onComplete(ar -> {
      inFlight--;
      if (dedup) {
        inProgressHere.remove(id);
      }
      if (ar.succeeded()) {
        if (msg.replyAddress() != null) {
          msg.reply(ar.result(), new DeliveryOptions().addHeader(Addresses.HEADER_ID, id == null ? "" : id));
        }
      } else if (ar.cause() instanceof Nack nack) {
        fail(msg, nack.code, nack.getMessage());
      } else {
        fail(msg, REJECTED, reason(ar.cause()));
      }
      if (stopping && inFlight == 0) {
        idle.tryComplete();
      }
    });
  }

  private Future<JsonObject> handleOnce(Event event) {
    Dedup dedup = reliability.dedup;
    return dedup.claim(context, address, event.id())
      .recover(e -> {
        LOG.warn("event {} on {}: deduplication map unavailable: {}", event.id(), address, e.toString());
        return Future.failedFuture(new Nack(UNAVAILABLE, "the deduplication map is unavailable"));
      })
      .compose(claim -> switch (claim) {
        case DONE -> Future.succeededFuture(ack(true));
        case IN_PROGRESS -> Future.failedFuture(new Nack(IN_PROGRESS, "event " + event.id() + " is being handled on another node"));
        case CLAIMED -> handle(event).transform(handled -> {
          if (handled.succeeded()) {
            return dedup.markDone(context, address, event.id())
              .onFailure(e -> LOG.warn("event {} on {} handled but not marked done: {}", event.id(), address, e.toString()))
              .transform(marked -> Future.succeededFuture(ack(false)));
          }
          return dedup.release(context, address, event.id())
            .transform(released -> Future.failedFuture(new Nack(REJECTED, reason(handled.cause()))));
        });
      });
  }

  /** Calls the user's handler; a thrown exception or a null Future is a rejection. */
  private Future<Void> handle(Event event) {
    try {
      Future<Void> result = handler.apply(event);
      return result == null ? Future.failedFuture("the handler returned no Future") : result;
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private static JsonObject ack(boolean duplicate) {
    return new JsonObject().put("ack", true).put("duplicate", duplicate);
  }

  private static String reason(Throwable cause) {
    String m = cause == null ? null : cause.getMessage();
    return m == null || m.isBlank() ? "the handler failed" : m;
  }

  private void fail(Message<Object> msg, int code, String message) {
    if (msg.replyAddress() != null) {
      msg.fail(code, message);
    }
  }

  /** A refusal with the code the sender acts on. */
  private static final class Nack extends RuntimeException {
    final int code;

    Nack(int code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }
}
