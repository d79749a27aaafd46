package io.busbar.consumer;

import io.busbar.cluster.DeadLetters;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One webhook target on one node: a bounded queue of events, at most {@code maxConcurrency} POSTs in
 * flight, retries by {@link RetryPolicy}, and a dead letter for every event it gives up on. Runs on
 * its verticle's event loop only, so its state needs no locks.
 */
final class WebhookEndpoint {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookEndpoint.class);

  /** An event to forward, with the CloudEvents headers it is sent with. */
  record Event(String id, String address, Object body, Map<String, String> headers) {
  }

  private final Vertx vertx;
  private final WebClient client;
  private final String name;
  private final String url;
  private final long timeoutMs;
  private final int maxConcurrency;
  private final int queueLimit;
  private final RetryPolicy retry;
  private final Map<String, String> extraHeaders;
  private final Deque<Attempt> ready = new ArrayDeque<>();
  /** Attempts waiting for their backoff to pass, by timer id. */
  private final Map<Long, Attempt> waiting = new HashMap<>();
  private int inFlight;
  private boolean stopping;
  private Promise<Void> idle;

  private record Attempt(Event event, int number) {
  }

  WebhookEndpoint(Vertx vertx, WebClient client, JsonObject conf) {
    this.vertx = vertx;
    this.client = client;
    this.url = conf.getString("url");
    this.name = conf.getString("name", url);
    this.timeoutMs = conf.getInteger("timeoutMs", 5_000);
    this.maxConcurrency = conf.getInteger("maxConcurrency", 4);
    this.queueLimit = conf.getInteger("queueLimit", 10_000);
    this.retry = new RetryPolicy(conf.getInteger("maxAttempts", 8), conf.getInteger("initialBackoffMs", 500),
      conf.getInteger("maxBackoffMs", 30_000));
    Map<String, String> headers = new HashMap<>();
    conf.getJsonObject("headers", new JsonObject()).forEach(e -> headers.put(e.getKey(), String.valueOf(e.getValue())));
    this.extraHeaders = Map.copyOf(headers);
  }

  String name() {
    return name;
  }

  /** Events held by this endpoint: queued, waiting for a retry, or being sent. */
  int pending() {
    return ready.size() + waiting.size() + inFlight;
  }

  /** Takes an event; when the queue is full the event is dead-lettered at once rather than dropped. */
  void offer(Event event) {
    if (stopping) {
      deadLetter(event, 0, "the node is stopping");
    } else if (pending() >= queueLimit) {
      deadLetter(event, 0, "webhook '" + name + "' queue is full (" + queueLimit + " events)");
    } else {
      ready.add(new Attempt(event, 1));
      pump();
    }
  }

  /**
   * Lets the POSTs in flight finish (each is bounded by {@code timeoutMs}), then dead-letters what is
   * still queued or waiting for a retry, so that a stopping node loses nothing: it can be re-driven.
   */
  Future<Void> stop() {
    stopping = true;
    waiting.keySet().forEach(vertx::cancelTimer);
    idle = Promise.promise();
    if (inFlight == 0) {
      idle.tryComplete();
    }
    return idle.future().compose(v -> {
      List<Attempt> left = new ArrayList<>(ready);
      left.addAll(waiting.values());
      ready.clear();
      waiting.clear();
      List<Future<Void>> letters = new ArrayList<>();
      left.forEach(a -> letters.add(deadLetter(a.event(), a.number() - 1, "the node stopped before the webhook accepted it")));
      return Future.join(letters).mapEmpty();
    });
  }

  private void pump() {
    while (!stopping && inFlight < maxConcurrency && !ready.isEmpty()) {
      send(ready.poll());
    }
  }

  private void send(Attempt attempt) {
    inFlight++;
    Event event = attempt.event();
    var request = client.postAbs(url).timeout(timeoutMs);
    extraHeaders.forEach(request::putHeader);
    event.headers().forEach(request::putHeader);
    request.sendBuffer(encode(event.body())).onComplete(result -> {
      inFlight--;
      if (result.succeeded()) {
        answered(attempt, result.result());
      } else {
        failed(attempt, 0, "no answer: " + describe(result.cause()));
      }
      if (stopping && inFlight == 0 && idle != null) {
        idle.tryComplete();
      }
      pump();
    });
  }

  private void answered(Attempt attempt, HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      LOG.debug("event {} forwarded to webhook '{}' (attempt {})", attempt.event().id(), name, attempt.number());
    } else if (!RetryPolicy.retryable(status)) {
      deadLetter(attempt.event(), attempt.number(), "webhook '" + name + "' refused the event with HTTP " + status);
    } else {
      failed(attempt, RetryPolicy.retryAfterMs(response.getHeader("retry-after")), "HTTP " + status);
    }
  }

  private void failed(Attempt attempt, long retryAfterMs, String why) {
    if (stopping || !retry.allowsAnother(attempt.number())) {
      deadLetter(attempt.event(), attempt.number(),
        "webhook '" + name + "' failed " + attempt.number() + " attempt(s), last: " + why);
      return;
    }
    long delay = Math.max(1, retry.delayMs(attempt.number(), retryAfterMs, ThreadLocalRandom.current()::nextDouble));
    Attempt next = new Attempt(attempt.event(), attempt.number() + 1);
    long timer = vertx.setTimer(delay, id -> {
      waiting.remove(id);
      ready.add(next);
      pump();
    });
    waiting.put(timer, next);
  }

  private Future<Void> deadLetter(Event event, int attempts, String reason) {
    LOG.warn("event {} on {} dead-lettered: {}", event.id(), event.address(), reason);
    JsonObject headers = new JsonObject();
    event.headers().forEach(headers::put);
    JsonObject letter = new JsonObject().put("id", event.id()).put("address", event.address())
      .put("body", event.body()).put("headers", headers).put("reason", reason).put("attempts", attempts)
      .put("source", "webhook").put("endpoint", name).put("failedAt", Instant.now().toString());
    return DeadLetters.record(vertx, letter)
      .onFailure(e -> LOG.error("event {} on {} could not be dead-lettered: {}", event.id(), event.address(), e.toString()));
  }

  private static Buffer encode(Object body) {
    return body instanceof Buffer b ? b : Json.encodeToBuffer(body);
  }

  private static String describe(Throwable t) {
    String text = t.getClass().getSimpleName();
    return t.getMessage() == null ? text : text + " (" + t.getMessage() + ")";
  }
}
