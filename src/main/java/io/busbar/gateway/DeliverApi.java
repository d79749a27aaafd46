package io.busbar.gateway;

import io.busbar.ApiError;
import io.busbar.NodeContext;
import io.busbar.cluster.DeadLetters;
import io.busbar.cluster.ReliabilitySettings;
import io.busbar.gateway.security.Action;
import io.busbar.gateway.security.GatewaySecurity;
import io.busbar.producer.ReliableSender;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Acknowledged delivery over HTTP and the dead letters behind it:
 * {@code POST /api/deliver/{address}} answers {@code 200 {"id","attempts"}} once a
 * {@link io.busbar.consumer.ReliableConsumer} acknowledged the event (see {@link ReliableSender} for
 * the retries), {@code GET /api/dlq/{address}} lists its dead letters and
 * {@code POST /api/dlq/{address}/redrive} delivers them again. While the node drains, or has too many
 * deliveries in flight, new work is answered 503 with {@code Retry-After}.
 */
final class DeliverApi {
  private final Vertx vertx;
  private final NodeContext node;
  private final GatewaySecurity security;
  private final ReliableSender sender;
  private final ReliabilitySettings settings;

  DeliverApi(Vertx vertx, GatewaySecurity security) {
    this.vertx = vertx;
    this.node = NodeContext.of(vertx);
    this.security = security;
    this.sender = new ReliableSender(vertx);
    this.settings = sender.settings();
  }

  /** Whether the caller may deliver to {@code address} (decided as a send); if not, the error is answered. */
  private boolean authorized(RoutingContext ctx, String address) {
    return security.authorize(ctx, Action.DELIVER, address);
  }

  /**
   * Dead letters hold other callers' events, so with authentication on, listing and re-driving them
   * takes an explicit {@code admin} grant. With it off there are no callers to tell apart, and whoever
   * may deliver to the address may see and re-drive what failed there.
   */
  private boolean mayManageDeadLetters(RoutingContext ctx, String address) {
    return security.authorize(ctx, security.authEnabled() ? Action.ADMIN : Action.DELIVER, address);
  }

  /** Before every /api route: a draining node takes no new work (answered 503); false if it answered. */
  boolean admitsWork(HttpServerRequest request) {
    if (node.draining()) {
      request.response().putHeader("connection", "close");
      retryLater(request, new ApiError(503, "draining", "this node is shutting down; retry on another node"));
      return false;
    }
    return true;
  }

  void deliver(RoutingContext ctx) {
    String address = ctx.pathParam("address");
    Long timeout = timeout(ctx);
    if (timeout == null || !authorized(ctx, address)) {
      return;
    }
    if (sender.inFlight() >= settings.maxInFlight()) {
      retryLater(ctx.request(), new ApiError(503, "overloaded", "this node has " + settings.maxInFlight() + " deliveries in flight; retry later"));
      return;
    }
    IncomingEvent event = HttpApi.readEvent(ctx, security);
    if (event == null) {
      return;
    }
    node.eventsIn.incrementAndGet();
    // ReliableSender takes a map (its API for producer verticles); an event's headers have one value per name.
    Map<String, String> headers = new LinkedHashMap<>();
    event.headers().forEach(headers::put);
    sender.deliver(address, event.body(), headers, timeout).onSuccess(outcome -> answer(ctx, outcome));
  }

  void listDeadLetters(RoutingContext ctx) {
    String address = ctx.pathParam("address");
    if (!mayManageDeadLetters(ctx, address)) {
      return;
    }
    DeadLetters.list(vertx, address, limit(ctx))
      .onSuccess(list -> json(ctx, 200, new JsonObject().put("address", address).put("count", list.size()).put("deadLetters", list)))
      .onFailure(e -> HttpApi.fail(ctx, new ApiError(503, "cluster_unavailable", "the dead letters could not be read")));
  }

  /** Delivers every dead letter of the address again (or only {@code ?id=}); an acknowledged one is removed. */
  void redrive(RoutingContext ctx) {
    String address = ctx.pathParam("address");
    if (!mayManageDeadLetters(ctx, address)) {
      return;
    }
    String only = ctx.queryParams().get("id");
    DeadLetters.list(vertx, address, limit(ctx)).compose(letters -> {
      List<Future<JsonObject>> results = new ArrayList<>();
      for (Object o : letters) {
        JsonObject letter = (JsonObject) o;
        if (only == null || only.equals(letter.getString("id"))) {
          results.add(redriveOne(address, letter));
        }
      }
      return Future.all(results).map(all -> {
        JsonArray list = new JsonArray(all.list());
        long acked = list.stream().filter(r -> ((JsonObject) r).getInteger("status") == 200).count();
        return new JsonObject().put("address", address).put("redriven", acked)
          .put("failed", list.size() - acked).put("results", list);
      });
    }).onSuccess(body -> json(ctx, 200, body))
      .onFailure(e -> HttpApi.fail(ctx, new ApiError(503, "cluster_unavailable", "the dead letters could not be read")));
  }

  private Future<JsonObject> redriveOne(String address, JsonObject letter) {
    Map<String, String> headers = new HashMap<>();
    letter.getJsonObject("headers", new JsonObject()).forEach(e -> headers.put(e.getKey(), String.valueOf(e.getValue())));
    headers.put(io.busbar.Addresses.HEADER_ID, letter.getString("id"));
    return sender.deliver(address, letter.getValue("body"), headers, settings.deliverTimeoutMs()).compose(outcome -> {
      JsonObject r = new JsonObject().put("id", outcome.id()).put("attempts", outcome.attempts())
        .put("status", outcome.acked() ? 200 : outcome.error().status());
      if (!outcome.acked()) {
        r.put("error", outcome.error().code());
        return Future.succeededFuture(r);
      }
      return DeadLetters.remove(vertx, address, outcome.id()).map(r).otherwise(r);
    });
  }

  private void answer(RoutingContext ctx, ReliableSender.Outcome outcome) {
    if (node.draining()) {
      // The client should open its next connection to another node.
      ctx.response().putHeader("connection", "close");
    }
    if (outcome.acked()) {
      ctx.response().putHeader(io.busbar.Addresses.HEADER_ID, outcome.id());
      json(ctx, 200, new JsonObject().put("id", outcome.id()).put("attempts", outcome.attempts()));
      return;
    }
    ApiError error = outcome.error();
    JsonObject body = error.toJson().put("id", outcome.id()).put("attempts", outcome.attempts());
    if (error.status() == 429 || error.status() == 503) {
      ctx.response().putHeader("Retry-After", String.valueOf(settings.retryAfterSeconds()));
    }
    json(ctx, error.status(), body);
  }

  private void retryLater(HttpServerRequest request, ApiError error) {
    request.response().putHeader("Retry-After", String.valueOf(settings.retryAfterSeconds()));
    HttpApi.fail(request, error);
  }

  private Long timeout(RoutingContext ctx) {
    String text = ctx.queryParams().get("timeout");
    if (text == null) {
      return settings.deliverTimeoutMs();
    }
    try {
      long ms = Long.parseLong(text);
      if (ms >= 1 && ms <= settings.maxDeliverTimeoutMs()) {
        return ms;
      }
    } catch (NumberFormatException ignored) {
      // answered below
    }
    HttpApi.fail(ctx, new ApiError(400, "invalid_timeout",
      "timeout must be a whole number of milliseconds from 1 to " + settings.maxDeliverTimeoutMs()));
    return null;
  }

  private static int limit(RoutingContext ctx) {
    try {
      return Math.max(1, Math.min(10_000, Integer.parseInt(ctx.queryParams().get("limit"))));
    } catch (NumberFormatException e) {
      return 1000;
    }
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}
