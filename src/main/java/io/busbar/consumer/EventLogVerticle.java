package io.busbar.consumer;

import io.busbar.producer.ReliableSender;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
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
 * ({@code id, address, headers, body, time}). Consumes those addresses through
 * {@link ReliableConsumer}: an event delivered with {@code POST /api/deliver} is logged once in the
 * whole cluster, by whichever logging node claims it first, however often it is retried; a published
 * event is logged by every logging node, as before. A delivery is acknowledged once its line is written;
 * a failed write rejects it (the sender retries). Start-up fails if the file cannot be opened.
 */
public class EventLogVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(EventLogVerticle.class);

  private final List<ReliableConsumer> consumers = new ArrayList<>();
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
          ReliableConsumer consumer = ReliableConsumer.register(vertx, (String) address, this::append);
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

  private Future<Void> append(ReliableConsumer.Event event) {
    JsonObject headers = new JsonObject();
    event.headers().forEach(headers::put);
    headers.remove(ReliableSender.HEADER_ATTEMPT);
    JsonObject line = new JsonObject()
      .put("id", event.id())
      .put("address", event.address())
      .put("headers", headers)
      .put("body", event.body())
      .put("time", Instant.now().toString());
    return file.write(Buffer.buffer(line.encode()).appendString("\n"))
      .onFailure(e -> LOG.error("event {} on {} not logged: {}", event.id(), event.address(), e.getMessage()));
  }
}
