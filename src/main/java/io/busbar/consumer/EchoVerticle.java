package io.busbar.consumer;

import io.busbar.Addresses;
import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

/**
 * Request-reply service on {@value Addresses#ECHO}: replies with the request body unchanged and a
 * {@value Addresses#HEADER_NODE} header naming the node that answered. So that clients can try their
 * error handling, a JSON object body with {@code "fail": <code>} is failed with that code, and
 * {@code "delayMs": n} (at most 60000) delays the reply.
 */
public class EchoVerticle extends VerticleBase {
  static final long MAX_DELAY_MS = 60_000;
  private MessageConsumer<Object> consumer;

  @Override
  public Future<?> start() {
    String nodeId = NodeContext.of(vertx).nodeId;
    consumer = vertx.eventBus().consumer(Addresses.ECHO, msg -> handle(msg, nodeId));
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister();
  }

  private void handle(Message<Object> msg, String nodeId) {
    if (msg.body() instanceof JsonObject body && body.getValue("fail") instanceof Integer code) {
      msg.fail(code, body.getString("message", "echo failed on request"));
      return;
    }
    long delay = msg.body() instanceof JsonObject body && body.getValue("delayMs") instanceof Number n
      ? Math.min(Math.max(n.longValue(), 0), MAX_DELAY_MS) : 0;
    DeliveryOptions options = new DeliveryOptions().addHeader(Addresses.HEADER_NODE, nodeId);
    if (delay == 0) {
      msg.reply(msg.body(), options);
    } else {
      vertx.setTimer(delay, id -> msg.reply(msg.body(), options));
    }
  }
}
