package io.busbar.producer;

import io.busbar.Addresses;
import io.busbar.ApiError;
import io.busbar.cluster.DeadLetters;
import io.busbar.cluster.Reliability;
import io.busbar.cluster.ReliabilitySettings;
import io.busbar.consumer.ReliableConsumer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Map;

/**
 * Acknowledged delivery of one event to one {@link ReliableConsumer} of an address, retried with the
 * same event id until a consumer acknowledges it or the deadline passes. This is what
 * {@code POST /api/deliver} and a dead-letter redrive use; a verticle may use it too.
 *
 * <p>Retries: on an attempt timeout at once (the event bus round-robins, so usually to another
 * consumer); when a cluster member leaves, at once for every delivery in flight and, for
 * {@code reliability.failoverWindowMs}, with the short {@code failoverAttemptTimeoutMs} (the event bus
 * may still route to the dead member's subscriptions for a moment); on "in progress elsewhere" after a
 * short pause; on a rejection up to {@code maxRejections} times, then the event is dead-lettered.
 * Several attempts may be outstanding at once: the first acknowledgement wins, and the consumer's
 * deduplication makes sure the handler ran once.
 */
public final class ReliableSender {
  private static final Logger LOG = LoggerFactory.getLogger(ReliableSender.class);
  public static final String HEADER_ATTEMPT = "busbar-attempt";
  private static final long PAUSE_MS = 100;
  private static final int MAX_BUSY = 10;
  private static final String BUSY_PROBLEM = "consumers busy";

  /** How a delivery ended: acknowledged (status 200) or an error to answer. */
  public record Outcome(String id, int attempts, ApiError error) {
    public boolean acked() {
      return error == null;
    }
  }

  private final Vertx vertx;
  private final Reliability reliability;

  public ReliableSender(Vertx vertx) {
    this.vertx = vertx;
    this.reliability = Reliability.of(vertx);
  }

  /** Deliveries in flight from this node (all senders). */
  public int inFlight() {
    return reliability.inFlight();
  }

  public ReliabilitySettings settings() {
    return reliability.settings;
  }

  /**
   * Delivers {@code body} with {@code headers} (which must carry {@code ce-id}) to {@code address};
   * never fails: the outcome says how it ended. Call it on a Vert.x context.
   */
  public Future<Outcome> deliver(String address, Object body, Map<String, String> headers, long timeoutMs) {
    Delivery d = new Delivery(vertx.getOrCreateContext(), address, body, headers, timeoutMs);
    d.start();
    return d.result.future();
  }

  private final class Delivery implements Reliability.FailoverListener {
    final Context context;
    final String address;
    final Object body;
    final Map<String, String> headers;
    final String id;
    final long startNanos = System.nanoTime();
    final long deadlineNanos;
    final Promise<Outcome> result = Promise.promise();
    int attempts;
    int rejections;
    int busy;
    long firstNoHandlersNanos = -1;
    String lastProblem = "no consumer acknowledged it";
    long deadlineTimer;
    boolean done;

    Delivery(Context context, String address, Object body, Map<String, String> headers, long timeoutMs) {
      this.context = context;
      this.address = address;
      this.body = body;
      this.headers = headers;
      this.id = headers.get(Addresses.HEADER_ID);
      this.deadlineNanos = startNanos + timeoutMs * 1_000_000L;
    }

    void start() {
      reliability.track(this);
      deadlineTimer = vertx.setTimer(Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L), t ->
        finish(busy > 0 && lastProblem.equals(BUSY_PROBLEM) ? busy()
          : new ApiError(504, "timeout", "event " + id + " to '" + address + "' was not acknowledged before the deadline ("
          + lastProblem + "); retrying with the same ce-id is safe")));
      attempt();
    }

    @Override
    public void memberLeft() {
      context.runOnContext(v -> {
        if (!done) {
          attempt();
        }
      });
    }

    void attempt() {
      if (done) {
        return;
      }
      long remainingMs = (deadlineNanos - System.nanoTime()) / 1_000_000L;
      if (remainingMs <= 0) {
        return; // the deadline timer answers
      }
      ReliabilitySettings s = reliability.settings;
      long timeout = Math.min(remainingMs, reliability.inFailoverWindow() ? s.failoverAttemptTimeoutMs() : s.attemptTimeoutMs());
      int attempt = ++attempts;
      DeliveryOptions options = new DeliveryOptions().setSendTimeout(Math.max(1, timeout));
      headers.forEach(options::addHeader);
      options.addHeader(HEADER_ATTEMPT, String.valueOf(attempt));
      vertx.eventBus().request(address, body, options).onComplete(ar -> {
        if (ar.succeeded()) {
          finish(null);
        } else if (attempt == attempts) {
          // Only the newest attempt drives retries; older ones can still acknowledge.
          onFailure(ar.cause());
        }
      });
    }

    void onFailure(Throwable cause) {
      if (done) {
        return;
      }
      if (!(cause instanceof ReplyException re)) {
        later(PAUSE_MS);
        return;
      }
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        long now = System.nanoTime();
        if (firstNoHandlersNanos < 0) {
          firstNoHandlersNanos = now;
        }
        // A consumer that just unregistered or a member that just left may leave stale routes for a moment.
        if ((now - firstNoHandlersNanos) / 1_000_000L < reliability.settings.noHandlersGraceMs()) {
          lastProblem = "no consumer";
          later(PAUSE_MS);
        } else {
          finish(new ApiError(503, "no_handlers", "no reliable consumer is registered for address '" + address + "'"));
        }
        return;
      }
      firstNoHandlersNanos = -1;
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        lastProblem = "attempts timed out";
        attempt();
        return;
      }
      switch (re.failureCode()) {
        case ReliableConsumer.REJECTED -> {
          rejections++;
          lastProblem = re.getMessage();
          if (rejections >= reliability.settings.maxRejections()) {
            deadLetter(re.getMessage());
          } else {
            later(PAUSE_MS * rejections);
          }
        }
        case ReliableConsumer.BUSY -> {
          lastProblem = BUSY_PROBLEM;
          if (++busy >= MAX_BUSY) {
            finish(busy());
          } else {
            later(Math.min(500, PAUSE_MS / 2 * busy));
          }
        }
        case ReliableConsumer.IN_PROGRESS -> {
          lastProblem = "being handled on another node";
          later(PAUSE_MS * 2);
        }
        case ReliableConsumer.DRAINING -> {
          lastProblem = "consumer shutting down";
          later(10);
        }
        default -> {
          lastProblem = "consumer unavailable";
          later(PAUSE_MS);
        }
      }
    }

    ApiError busy() {
      return new ApiError(429, "consumer_busy", "the consumers of '" + address + "' cannot keep up; retry later with the same ce-id");
    }

    void later(long ms) {
      vertx.setTimer(ms, t -> attempt());
    }

    void deadLetter(String reason) {
      JsonObject headersJson = new JsonObject();
      headers.forEach(headersJson::put);
      JsonObject letter = new JsonObject()
        .put("id", id).put("address", address).put("body", body).put("headers", headersJson)
        .put("reason", reason).put("attempts", attempts).put("source", "deliver")
        .put("failedAt", Instant.now().toString());
      DeadLetters.record(vertx, letter).onComplete(ar -> {
        if (ar.failed()) {
          LOG.error("event {} to {} could not be dead-lettered: {}", id, address, ar.cause().toString());
        }
        finish(new ApiError(422, "dead_lettered", "the consumer of '" + address + "' rejected event " + id + " "
          + rejections + " times (" + reason + "); it is in the dead letters of the address"));
      });
    }

    void finish(ApiError error) {
      if (done) {
        return;
      }
      done = true;
      vertx.cancelTimer(deadlineTimer);
      reliability.untrack(this);
      result.complete(new Outcome(id, attempts, error));
    }
  }
}
