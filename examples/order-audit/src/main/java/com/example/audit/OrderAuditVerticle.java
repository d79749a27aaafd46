package com.example.audit;

import io.busbar.Addresses;
import io.busbar.NodeContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A user's own verticle on a Busbar cluster. Consumes {@value #ORDERS} (published orders reach every
 * auditing node) and appends one NDJSON line per order, {@code {"id", "node", "body", "time"}} with
 * {@code id} the order's {@code ce-id} header, to the file named by {@value #FILE_ENV} (default
 * {@value #DEFAULT_FILE}, relative to the working directory). Answers request-reply on {@value #COUNT}
 * with {@code {"count": n}}, the orders this node has written. Start-up fails if the file cannot be
 * opened; a failed write is logged with the order id and not counted, and the consumer keeps going.
 */
public class OrderAuditVerticle extends VerticleBase {
  public static final String ORDERS = "events.orders";
  public static final String COUNT = "audit.count";
  /** Busbar's node config rejects unknown keys, so the example's own setting comes from the environment. */
  public static final String FILE_ENV = "ORDER_AUDIT_FILE";
  public static final String DEFAULT_FILE = "audit/orders.ndjson";
  private static final Logger LOG = LoggerFactory.getLogger(OrderAuditVerticle.class);

  private MessageConsumer<Object> orders;
  private MessageConsumer<Object> count;
  private AsyncFile file;
  // Only touched on this verticle's event loop: handlers and write callbacks all run there.
  private long audited;

  @Override
  public Future<?> start() {
    String nodeId = NodeContext.of(vertx).nodeId;
    String configured = System.getenv(FILE_ENV);
    Path path = Path.of(configured == null || configured.isBlank() ? DEFAULT_FILE : configured).toAbsolutePath();
    return vertx.fileSystem().mkdirs(path.getParent().toString())
      .compose(v -> vertx.fileSystem().open(path.toString(), new OpenOptions().setAppend(true).setCreate(true).setWrite(true)))
      .compose(opened -> {
        file = opened;
        orders = vertx.eventBus().consumer(ORDERS, msg -> audit(msg, nodeId));
        count = vertx.eventBus().consumer(COUNT, msg -> msg.reply(new JsonObject().put("count", audited)));
        // The verticle gets the whole node configuration: here only to say which cluster it serves.
        LOG.info("auditing {} to {} on node {} of cluster '{}'", ORDERS, path, nodeId,
          config().getJsonObject("cluster").getString("name"));
        // Ready only once both registrations have reached the cluster, so publishers see them.
        return Future.all(orders.completion(), count.completion());
      });
  }

  @Override
  public Future<?> stop() {
    Future<Void> ordersGone = orders == null ? Future.succeededFuture() : orders.unregister();
    Future<Void> countGone = count == null ? Future.succeededFuture() : count.unregister();
    return Future.all(ordersGone, countGone).compose(v -> file == null ? Future.succeededFuture() : file.close());
  }

  private void audit(Message<Object> msg, String nodeId) {
    String id = msg.headers().get(Addresses.HEADER_ID);
    JsonObject line = new JsonObject()
      .put("id", id)
      .put("node", nodeId)
      .put("body", msg.body())
      .put("time", Instant.now().toString());
    file.write(Buffer.buffer(line.encode()).appendString("\n"))
      .onSuccess(v -> audited++)
      .onFailure(e -> LOG.error("order {} not audited: {}", id, e.getMessage()));
  }
}
