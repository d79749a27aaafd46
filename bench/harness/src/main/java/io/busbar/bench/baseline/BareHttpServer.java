package io.busbar.bench.baseline;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

/**
 * Baseline of B1: a bare Vert.x HTTP server (as many verticle instances as Busbar's gateway has, one by
 * default) that reads the body of any POST and answers 202 with a small JSON body; the ceiling Busbar's
 * ingress is held to. Usage: {@code BareHttpServer PORT [INSTANCES]}.
 */
public class BareHttpServer extends VerticleBase {
  private final int port;
  private HttpServer server;

  BareHttpServer(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    int port = Integer.parseInt(args[0]);
    int instances = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    vertx.deployVerticle(() -> new BareHttpServer(port), new DeploymentOptions().setInstances(instances))
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
      req.body().onSuccess(body -> req.response().setStatusCode(202).putHeader("content-type", "application/json")
        .end("{\"id\":\"00000000-0000-0000-0000-000000000000\"}"));
    }).listen(port, "127.0.0.1").onSuccess(s -> server = s);
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
