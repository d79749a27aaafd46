package io.busbar.bench.baseline;

import io.vertx.core.Vertx;

/**
 * Baseline of B5: the smallest Vert.x application that is "ready": a JVM that starts Vert.x and
 * answers {@code GET /ready} on an HTTP port. Usage: {@code BareApp PORT}.
 */
public final class BareApp {
  private BareApp() {
  }

  public static void main(String[] args) {
    Vertx vertx = Vertx.vertx();
    vertx.createHttpServer().requestHandler(req -> req.response().end("ok"))
      .listen(Integer.parseInt(args[0]), "127.0.0.1")
      .onFailure(e -> {
        e.printStackTrace();
        System.exit(1);
      });
  }
}
