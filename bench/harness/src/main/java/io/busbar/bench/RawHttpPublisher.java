package io.busbar.bench;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Queue;

/**
 * HTTP/1.1 POSTs of events on one pipelined TCP connection, as ready-made bytes: the events a caller
 * publishes in one go (a B3 burst) leave in one write, as the NATS client sends its burst. Through the
 * Vert.x HTTP client each request was its own write, interleaved with the receiving subscribers on the
 * load generator's one core, so a burst reached the HTTP servers spread over milliseconds (Busbar's
 * write system calls per burst moved between one and three per subscriber from round to round, NATS's
 * stayed at one). Every answer is checked: a non-2xx status fails that event's publish.
 */
final class RawHttpPublisher implements LoadGen.Publisher {
  private final NetClient net;
  private final Context context;
  private final int port;
  private final String head;
  /** Used on the context only; null until connected, and again once the server closed it (Node does after 5 s idle). */
  private NetSocket socket;
  private Future<NetSocket> connecting;
  /** Guarded by this: bytes not yet written, and the answers still owed, oldest first. */
  private Buffer pending;
  private final Queue<Promise<Void>> owed = new ArrayDeque<>();

  /** A publisher to {@code path} on the local {@code port}; it connects at its first publish. */
  RawHttpPublisher(Vertx vertx, int port, String path) {
    this.net = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
    this.context = vertx.getOrCreateContext();
    this.port = port;
    this.head = "POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1:" + port + "\r\ncontent-type: application/json\r\ncontent-length: ";
  }

  private Future<NetSocket> socket() {
    if (socket != null) {
      return Future.succeededFuture(socket);
    }
    if (connecting == null) {
      connecting = net.connect(port, "127.0.0.1").onComplete((s, failure) -> {
        connecting = null;
        if (failure != null) {
          failAll("cannot connect: " + failure.getMessage());
          return;
        }
        socket = s;
        RawHttpLoad.ResponseParser parser = new RawHttpLoad.ResponseParser();
        s.handler(buf -> parser.feed(buf, this::answered));
        s.closeHandler(v -> {
          if (socket == s) {
            socket = null;
          }
          // Answers owed on a closed connection never come.
          failAll("the server closed the publishing connection");
        });
      });
    }
    return connecting;
  }

  @Override
  public Future<?> publish(String json) {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    Buffer request = Buffer.buffer(head + body.length + "\r\n\r\n").appendBytes(body);
    Promise<Void> answered = Promise.promise();
    boolean first;
    synchronized (this) {
      owed.add(answered);
      first = pending == null;
      pending = first ? request : pending.appendBuffer(request);
    }
    if (first) {
      // Written on the connection's own loop, after whatever the caller publishes in the same go.
      context.runOnContext(v -> writePending());
    }
    return answered.future();
  }

  private void writePending() {
    socket().onSuccess(s -> {
      Buffer bytes;
      synchronized (this) {
        bytes = pending;
        pending = null;
      }
      if (bytes != null) {
        s.write(bytes);
      }
    });
  }

  private void answered(int status) {
    Promise<Void> p;
    synchronized (this) {
      p = owed.poll();
    }
    if (p == null) {
      return;
    }
    if (status >= 200 && status < 300) {
      p.tryComplete();
    } else {
      p.tryFail("HTTP " + status);
    }
  }

  /** Fails every answer still owed; requests not yet written belong to those, so they are dropped too. */
  private void failAll(String why) {
    synchronized (this) {
      pending = null;
    }
    while (true) {
      Promise<Void> p;
      synchronized (this) {
        p = owed.poll();
      }
      if (p == null) {
        return;
      }
      p.tryFail(why);
    }
  }

  @Override
  public void close() {
    net.close();
  }
}
