package io.busbar;

import io.busbar.consumer.EchoVerticle;
import io.busbar.consumer.EventLogVerticle;
import io.busbar.consumer.WebhookVerticle;
import io.busbar.gateway.GatewayVerticle;
import io.busbar.producer.DemoProducerVerticle;
import io.busbar.producer.HeartbeatVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.function.Supplier;

/**
 * Deploys the verticles the configuration asks for, nothing else: consumers first, then producers,
 * then the gateway, so that a node answers HTTP only once everything behind it is registered; then the
 * user's own verticles ({@code deploy}), which get the whole configuration. Child deployments are
 * undeployed by Vert.x when this verticle is, so {@code stop()} has nothing of its own to undo.
 */
public class MainVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    JsonObject conf = config();
    JsonArray roles = conf.getJsonArray("roles");
    JsonObject consumer = conf.getJsonObject("consumer");
    JsonObject producer = conf.getJsonObject("producer");
    Future<?> chain = Future.succeededFuture();
    if (roles.contains("consumer")) {
      chain = chain
        .compose(v -> deployIf(consumer.getJsonObject("echo"), EchoVerticle::new))
        .compose(v -> deployIf(consumer.getJsonObject("eventLog"), EventLogVerticle::new))
        .compose(v -> deployIf(consumer.getJsonObject("webhook"), WebhookVerticle::new));
    }
    if (roles.contains("producer")) {
      chain = chain
        .compose(v -> deployIf(producer.getJsonObject("heartbeat"), HeartbeatVerticle::new))
        .compose(v -> deployIf(producer.getJsonObject("demo"), DemoProducerVerticle::new));
    }
    if (roles.contains("gateway")) {
      // gateway.instances: one HTTP server (and event loop) each, sharing the port; Vert.x hands each new
      // connection to the next. What the limits count node-wide they share (NodeLimits).
      int instances = GatewayVerticle.instances(conf.getJsonObject("gateway"));
      JsonObject gateway = conf.getJsonObject("gateway").copy().put("instances", instances);
      chain = chain.compose(v -> vertx.deployVerticle(GatewayVerticle::new, new DeploymentOptions().setConfig(gateway).setInstances(instances)));
    }
    for (Object className : conf.getJsonArray("deploy")) {
      chain = chain.compose(v -> vertx.deployVerticle((String) className, new DeploymentOptions().setConfig(conf)));
    }
    return chain;
  }

  private Future<?> deployIf(JsonObject section, Supplier<Deployable> verticle) {
    return section.getBoolean("enabled") ? deploy(section, verticle) : Future.succeededFuture();
  }

  private Future<String> deploy(JsonObject section, Supplier<Deployable> verticle) {
    return vertx.deployVerticle(verticle.get(), new DeploymentOptions().setConfig(section));
  }
}
