package io.busbar.bench.baseline;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;

/**
 * Baselines of B1: a bare Vert.x HTTP server (as many verticle instances as Busbar's gateway has, one by
 * default) that reads the body of any POST and answers 202 with a small JSON body; the ceiling Busbar's
 * ingress is held to. With {@code parse-publish} it also parses the body as JSON and publishes it on its
 * (not clustered) event bus, answering 400 to a body that is not JSON: the least any event hub does with a
 * publish, so that B1 shows how much of the gap to the bare server that least work makes and how much is
 * Busbar's own. Usage: {@code BareHttpServer PORT [INSTANCES [parse-publish]]}.
 */
public class BareHttpServer extends VerticleBase {
  private static final String RESPONSE = "{\"id\":\"00000000-0000-0000-0000-000000000000\"}";

  private final int port;
  private final boolean parsePublish;
  private HttpServer server;

  BareHttpServer(int port, boolean parsePublish) {
    this.port = port;
    this.parsePublish = parsePublish;
  }

  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    boolean parsePublish = args.length > 2 && args[2].equals("parse-publish");
    vertx.deployVerticle(() -> new BareHttpServer(port, parsePublish), new DeploymentOptions().setInstances(instances))
      .onSuccess(id -> System.out.println("bare HTTP server ready on " + args[0]))
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/ready")) {
        req.response().end("ok");
        return;
      }
      req.body().onSuccess(body -> {
        if (parsePublish && !published(req, body)) {
          return;
        }
        req.response().setStatusCode(202).putHeader("content-type", "application/json").end(RESPONSE);
      });
    }).listen(port, "127.0.0.1").onSuccess(s -> server = s);
  }

  /** The path after its last slash is the address, as in Busbar's {@code /api/publish/{address}}. */
  private boolean published(HttpServerRequest req, Buffer body) {
    Object event;
    try {
      event = Json.decodeValue(body);
    } catch (DecodeException e) {
      req.response().setStatusCode(400).putHeader("content-type", "application/json").end("{\"error\":\"invalid_json\"}");
      return false;
    }
    String path = req.path();
    vertx.eventBus().publish(path.substring(path.lastIndexOf('/') + 1), event);
    return true;
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
