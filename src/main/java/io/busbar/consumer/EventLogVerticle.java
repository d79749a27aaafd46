package io.busbar.consumer;

import io.busbar.Addresses;
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
import java.util.ArrayList;
import java.util.List;

/**
 * Appends every event of {@code addresses} to {@code file} as one NDJSON line
 * ({@code id, address, headers, body, time}). Consumes those addresses (as a publish subscriber, so
 * with several nodes logging each node writes its own copy). Start-up fails if the file cannot be
 * opened; a failed write is logged with the event id and the consumer keeps going.
 */
public class EventLogVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(EventLogVerticle.class);

  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private AsyncFile file;

  @Override
  public Future<?> start() {
    Path path = Path.of(config().getString("file")).toAbsolutePath();
    Path dir = path.getParent();
    return vertx.fileSystem().mkdirs(dir.toString())
      .compose(v -> vertx.fileSystem().open(path.toString(), new OpenOptions().setAppend(true).setCreate(true).setWrite(true)))
      .compose(opened -> {
        file = opened;
        List<Future<Void>> registered = new ArrayList<>();
        for (Object address : config().getJsonArray("addresses")) {
          MessageConsumer<Object> consumer = vertx.eventBus().consumer((String) address, this::append);
          consumers.add(consumer);
          registered.add(consumer.completion());
        }
        LOG.info("logging events of {} to {}", config().getJsonArray("addresses").encode(), path);
        return Future.all(registered);
      });
  }

  @Override
  public Future<?> stop() {
    List<Future<Void>> done = new ArrayList<>();
    consumers.forEach(c -> done.add(c.unregister()));
    return Future.all(done).compose(v -> file == null ? Future.succeededFuture() : file.close());
  }

  private void append(Message<Object> msg) {
    JsonObject headers = new JsonObject();
    msg.headers().forEach(h -> headers.put(h.getKey(), h.getValue()));
    String id = msg.headers().get(Addresses.HEADER_ID);
    JsonObject line = new JsonObject()
      .put("id", id)
      .put("address", msg.address())
      .put("headers", headers)
      .put("body", msg.body())
      .put("time", Instant.now().toString());
    file.write(Buffer.buffer(line.encode()).appendString("\n"))
      .onFailure(e -> LOG.error("event {} on {} not logged: {}", id, msg.address(), e.getMessage()));
  }
}
