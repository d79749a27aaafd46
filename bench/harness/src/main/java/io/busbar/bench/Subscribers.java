package io.busbar.bench;

import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * N WebSocket subscribers in the load generator's JVM, speaking one of four protocols:
 * Busbar's raw SockJS endpoint ({@code /eventbus/websocket}, a register frame per socket, pings), the raw
 * baseline ({@code /ws}), Socket.IO's Engine.IO v4 ({@code 0{..}} → {@code 40}, ping {@code 2} → {@code 3},
 * events {@code 42["ev",data]}) and NATS over WebSocket (INFO → CONNECT + SUB, PING → PONG, MSG).
 * A subscriber counts as ready once it received a probe message (see {@link #awaitProbed}).
 */
final class Subscribers implements AutoCloseable {
  enum Protocol { BUSBAR, RAW, SOCKETIO, NATS }

  static final String ADDRESS = "events.bench";
  private static final int CONNECT_PARALLELISM = 64;

  private final Vertx vertx;
  private final Protocol protocol;
  private final int port;
  private final String address;
  private final WebSocketClient client;
  private final List<Sub> subs = new ArrayList<>();
  private final AtomicInteger probed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile Deliveries deliveries = new Deliveries(0);
  private long pingTimer = -1;

  Subscribers(Vertx vertx, Protocol protocol, int port, String address) {
    this.vertx = vertx;
    this.protocol = protocol;
    this.port = port;
    this.address = address;
    this.client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(100_000)
      .setConnectTimeout(30_000).setMaxFrameSize(1 << 20).setMaxMessageSize(1 << 22));
  }

  void deliveries(Deliveries d) {
    this.deliveries = d;
  }

  int size() {
    return subs.size();
  }

  int probedCount() {
    return probed.get();
  }

  /** Opens n sockets, at most {@link #CONNECT_PARALLELISM} handshakes at a time; fails if any fails. */
  void connect(int n, long timeoutMs) throws Exception {
    Promise<Void> done = Promise.promise();
    AtomicInteger next = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    vertx.runOnContext(v -> {
      for (int i = 0; i < Math.min(CONNECT_PARALLELISM, n); i++) {
        openNext(n, next, finished, done);
      }
    });
    if (n == 0) {
      done.tryComplete();
    }
    done.future().toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " of " + n + " " + protocol + " connections failed");
    }
    if (pingTimer < 0) {
      pingTimer = vertx.setPeriodic(5_000, id -> ping());
    }
  }

  private void openNext(int n, AtomicInteger next, AtomicInteger finished, Promise<Void> done) {
    if (next.getAndIncrement() >= n) {
      return;
    }
    WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI(path())
      .setTimeout(30_000);
    client.connect(o).onComplete(ar -> {
      if (ar.succeeded()) {
        Sub s = new Sub(ar.result());
        synchronized (subs) {
          subs.add(s);
        }
      } else {
        failed.incrementAndGet();
        if (failed.get() <= 3) {
          System.err.println(protocol + " connect failed: " + ar.cause());
        }
      }
      if (finished.incrementAndGet() == n) {
        done.tryComplete();
      } else {
        openNext(n, next, finished, done);
      }
    });
  }

  private String path() {
    return switch (protocol) {
      case BUSBAR -> "/eventbus/websocket";
      case RAW -> "/ws";
      case SOCKETIO -> "/socket.io/?EIO=4&transport=websocket";
      case NATS -> "/";
    };
  }

  /** Waits until every subscriber has received at least one probe; {@code probe} publishes one probe. */
  void awaitProbed(Runnable probe, long timeoutMs) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (probed.get() < subs.size()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + probed.get() + " of " + subs.size() + " " + protocol + " subscribers got a probe");
      }
      probe.run();
      Thread.sleep(200);
    }
  }

  private void ping() {
    synchronized (subs) {
      for (Sub s : subs) {
        s.ping();
      }
    }
  }

  @Override
  public void close() {
    if (pingTimer >= 0) {
      vertx.cancelTimer(pingTimer);
    }
    try {
      client.close().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("closing " + protocol + " subscribers: " + e);
    }
  }

  /** One subscriber socket. */
  private final class Sub {
    private final WebSocket ws;
    private final StringBuilder natsBuffer = new StringBuilder();
    private boolean gotProbe;

    Sub(WebSocket ws) {
      this.ws = ws;
      ws.textMessageHandler(this::onText);
      ws.binaryMessageHandler(b -> onText(b.toString()));
      ws.exceptionHandler(e -> { });
      if (protocol == Protocol.BUSBAR) {
        ws.writeTextMessage("{\"type\":\"register\",\"address\":\"" + address + "\"}");
      }
    }

    void ping() {
      if (protocol == Protocol.BUSBAR && !ws.isClosed()) {
        ws.writeTextMessage("{\"type\":\"ping\"}");
      }
    }

    private void onText(String text) {
      switch (protocol) {
        case SOCKETIO -> socketIo(text);
        case NATS -> nats(text);
        default -> deliver(text);
      }
    }

    private void deliver(CharSequence text) {
      if (!deliveries.onText(text) && !gotProbe && Deliveries.indexOf(text, "\"probe\"") >= 0) {
        gotProbe = true;
        probed.incrementAndGet();
      }
    }

    private void socketIo(String text) {
      if (text.startsWith("42")) {
        deliver(text);
      } else if (text.equals("2")) {
        ws.writeTextMessage("3");
      } else if (text.startsWith("0{")) {
        ws.writeTextMessage("40");
      }
    }

    private void nats(String chunk) {
      natsBuffer.append(chunk);
      while (true) {
        int eol = natsBuffer.indexOf("\r\n");
        if (eol < 0) {
          return;
        }
        String line = natsBuffer.substring(0, eol);
        if (line.startsWith("MSG ")) {
          String[] parts = line.split(" ");
          int size = Integer.parseInt(parts[parts.length - 1]);
          if (natsBuffer.length() < eol + 2 + size + 2) {
            return;
          }
          deliver(natsBuffer.subSequence(eol + 2, eol + 2 + size));
          natsBuffer.delete(0, eol + 2 + size + 2);
          continue;
        }
        natsBuffer.delete(0, eol + 2);
        if (line.startsWith("PING")) {
          ws.writeBinaryMessage(Buffer.buffer("PONG\r\n"));
        } else if (line.startsWith("INFO")) {
          ws.writeBinaryMessage(Buffer.buffer("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nSUB "
            + address + " 1\r\n"));
        } else if (line.startsWith("-ERR")) {
          System.err.println("nats: " + line);
        }
      }
    }
  }

}
