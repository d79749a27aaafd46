package io.busbar.observe;

import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.RoutingContext;

import java.util.function.BooleanSupplier;

/**
 * {@code /health} (liveness: the process answers) and {@code /ready} (readiness), built on
 * {@code vertx-health-check}. Ready means all of: the node is a cluster member ({@code cluster}),
 * Hazelcast reports the cluster safe, i.e. no partition migrating or under-replicated
 * ({@code clusterSafe}, a blocking call, so asked on a worker), the gateway is listening
 * ({@code gateway}), the node is not draining ({@code notDraining}) and the cluster has at least
 * {@code cluster.minMembers} members ({@code members}). The body keeps the simple
 * {@code checks: {name: true|false}} map and adds each check's details under {@code details}.
 */
public final class NodeHealth {
  private static final long CHECK_TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  private final NodeContext node;
  private final HealthChecks readiness;

  public NodeHealth(Vertx vertx, BooleanSupplier listening) {
    this.vertx = vertx;
    this.node = NodeContext.of(vertx);
    int minMembers = Observability.of(vertx).minMembers();
    this.readiness = HealthChecks.create(vertx)
      .register("cluster", CHECK_TIMEOUT_MS, p -> p.complete(status(node.clusterActive(), null)))
      .register("clusterSafe", CHECK_TIMEOUT_MS, p -> clusterSafe().onComplete(p))
      .register("gateway", CHECK_TIMEOUT_MS, p -> p.complete(status(listening.getAsBoolean(), null)))
      .register("notDraining", CHECK_TIMEOUT_MS, p -> p.complete(status(!node.draining(), null)))
      .register("members", CHECK_TIMEOUT_MS, p -> {
        int size = node.clusterSize();
        p.complete(status(size >= minMembers, new JsonObject().put("clusterSize", size).put("minMembers", minMembers)));
      });
  }

  private Future<Status> clusterSafe() {
    if (!node.clusterActive()) {
      return Future.succeededFuture(status(false, new JsonObject().put("reason", "not a cluster member")));
    }
    // isClusterSafe() asks every member whether its partitions are in sync: a blocking remote call.
    return vertx.executeBlocking(() -> node.hazelcast().getPartitionService().isClusterSafe(), false)
      .map(safe -> status(safe, null))
      .otherwise(failure -> status(false, new JsonObject().put("reason", "Hazelcast did not answer")));
  }

  private static Status status(boolean ok, JsonObject data) {
    Status status = new Status().setOk(ok);
    return data == null ? status : status.setData(data);
  }

  public void live(RoutingContext ctx) {
    json(ctx, 200, new JsonObject().put("status", "UP").put("nodeId", node.nodeId)
      .put("uptimeMs", System.currentTimeMillis() - node.startedAtMillis));
  }

  public void ready(RoutingContext ctx) {
    readiness.checkStatus().onComplete(done -> {
      CheckResult result = done.succeeded() ? done.result() : CheckResult.from("ready", done.cause());
      JsonObject checks = new JsonObject();
      JsonArray details = new JsonArray();
      if (result.getChecks() != null) {
        for (CheckResult check : result.getChecks()) {
          checks.put(check.getId(), CheckResult.isUp(check));
          details.add(check.toJson());
        }
      }
      boolean ready = CheckResult.isUp(result);
      // clusterSize lets an operator (and a load balancer's health page) see a node that is up but alone.
      json(ctx, ready ? 200 : 503, new JsonObject().put("status", ready ? "UP" : "DOWN").put("nodeId", node.nodeId)
        .put("clusterSize", node.clusterSize()).put("checks", checks).put("details", details));
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}
