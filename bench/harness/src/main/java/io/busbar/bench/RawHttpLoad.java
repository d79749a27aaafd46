package io.busbar.bench;

import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import org.HdrHistogram.ConcurrentHistogram;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop HTTP/1.1 POSTs written as ready-made bytes on plain TCP connections, {@code depth} pipelined
 * on each, with a minimal response parser (status line, headers, {@code content-length} body). The Vert.x
 * HTTP client spends about 5 us of CPU per request; at B1's bare baseline (200k req/s on one core) that
 * made the load generator the bottleneck, and the baseline looked slower than it is.
 */
final class RawHttpLoad {
  private RawHttpLoad() {
  }

  static LoadGen.Closed run(Vertx vertx, int port, String path, String body, int connections, int depth,
                            double warmS, double measureS) throws Exception {
    byte[] payload = body.getBytes(StandardCharsets.UTF_8);
    Buffer request = Buffer.buffer(("POST " + path + " HTTP/1.1\r\nhost: 127.0.0.1:" + port
      + "\r\ncontent-type: application/json\r\ncontent-length: " + payload.length + "\r\n\r\n")
      .getBytes(StandardCharsets.US_ASCII)).appendBytes(payload);
    NetClient net = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true).setConnectTimeout(10_000));
    Run run = new Run(request, depth, warmS, measureS, connections);
    Context[] contexts = {vertx.getOrCreateContext(), vertx.getOrCreateContext()};
    for (int i = 0; i < connections; i++) {
      contexts[i % contexts.length].runOnContext(v -> net.connect(port, "127.0.0.1")
        .onSuccess(run::start)
        .onFailure(run.finished::tryFail));
    }
    Thread.sleep((long) (warmS * 1000));
    double cpu0 = LoadGen.cpuSeconds();
    try {
      run.finished.future().toCompletionStage().toCompletableFuture().get((long) (warmS + measureS) + 60, TimeUnit.SECONDS);
    } finally {
      net.close();
    }
    double cpu = (LoadGen.cpuSeconds() - cpu0) / measureS;
    return new LoadGen.Closed(run.done.get() / measureS, run.hist.getValueAtPercentile(50) / 1000.0,
      run.hist.getValueAtPercentile(99) / 1000.0, run.errors.get(), cpu, run.all.get());
  }

  /** One run's shared counters; each connection keeps its own send times. */
  private static final class Run {
    final Buffer request;
    final int depth;
    final long measureFrom;
    final long end;
    final ConcurrentHistogram hist = new ConcurrentHistogram(60_000_000L, 3);
    final AtomicLong done = new AtomicLong();
    final AtomicLong all = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicInteger running;
    final Promise<Void> finished = Promise.promise();

    Run(Buffer request, int depth, double warmS, double measureS, int connections) {
      this.request = request;
      this.depth = depth;
      long start = Clock.now();
      this.measureFrom = start + (long) (warmS * 1e9);
      this.end = measureFrom + (long) (measureS * 1e9);
      this.running = new AtomicInteger(connections);
    }

    void start(NetSocket socket) {
      new Connection(this, socket).start();
    }

    void connectionDone() {
      if (running.decrementAndGet() == 0) {
        finished.tryComplete();
      }
    }
  }

  /** One pipelined connection: {@code depth} requests in flight, a new one sent as each answer completes. */
  private static final class Connection {
    private final Run run;
    private final NetSocket socket;
    /** Send times of the requests in flight, oldest first (HTTP/1.1 answers come in order). */
    private final long[] sent;
    private int oldest;
    private int inFlight;
    private final ResponseParser parser = new ResponseParser();
    private boolean over;

    Connection(Run run, NetSocket socket) {
      this.run = run;
      this.socket = socket;
      this.sent = new long[run.depth];
    }

    void start() {
      socket.handler(buf -> parser.feed(buf, this::answered));
      socket.closeHandler(v -> {
        if (!over) {
          // Closed by the server with requests in flight: each one is an error.
          run.errors.addAndGet(inFlight);
          finish();
        }
      });
      for (int i = 0; i < run.depth; i++) {
        send();
      }
    }

    private void send() {
      sent[(oldest + inFlight) % sent.length] = Clock.now();
      inFlight++;
      socket.write(run.request);
    }

    private void answered(int status) {
      long t1 = Clock.now();
      long t0 = sent[oldest];
      oldest = (oldest + 1) % sent.length;
      inFlight--;
      boolean ok = status >= 200 && status < 300;
      if (ok) {
        run.all.incrementAndGet();
      }
      if (t0 >= run.measureFrom && t1 <= run.end) {
        if (ok) {
          run.done.incrementAndGet();
          run.hist.recordValue((t1 - t0) / 1000);
        } else {
          run.errors.incrementAndGet();
        }
      }
      if (t1 < run.end) {
        send();
      } else if (inFlight == 0) {
        finish();
        socket.close();
      }
    }

    private void finish() {
      if (!over) {
        over = true;
        run.connectionDone();
      }
    }
  }

  /**
   * Finds complete HTTP/1.1 responses in a byte stream: the status line and headers up to the blank line,
   * then a {@code content-length} body. Chunked answers are refused loudly (neither server sends one here).
   */
  static final class ResponseParser {
    interface Listener {
      void answered(int status);
    }

    private final StringBuilder head = new StringBuilder(256);
    private int bodyLeft = -1;
    private int status;

    void feed(Buffer buf, Listener listener) {
      int n = buf.length();
      int i = 0;
      while (i < n) {
        if (bodyLeft < 0) {
          char c = (char) (buf.getByte(i++) & 0xff);
          head.append(c);
          int len = head.length();
          if (c == '\n' && len >= 4 && head.charAt(len - 2) == '\r' && head.charAt(len - 3) == '\n' && head.charAt(len - 4) == '\r') {
            status = (head.charAt(9) - '0') * 100 + (head.charAt(10) - '0') * 10 + (head.charAt(11) - '0');
            bodyLeft = contentLength(head);
            head.setLength(0);
            if (bodyLeft == 0) {
              bodyLeft = -1;
              listener.answered(status);
            }
          }
        } else {
          int take = Math.min(bodyLeft, n - i);
          i += take;
          bodyLeft -= take;
          if (bodyLeft == 0) {
            bodyLeft = -1;
            listener.answered(status);
          }
        }
      }
    }

    /** The {@code content-length} of a response head (0 without one); looked up in place, once per answer. */
    private static int contentLength(StringBuilder head) {
      int len = head.length();
      for (int p = 0; p + 1 < len; p++) {
        if (head.charAt(p) != '\n') {
          continue;
        }
        if (startsWith(head, p + 1, "transfer-encoding:")) {
          throw new IllegalStateException("chunked answers are not supported by this load generator: " + head);
        }
        if (startsWith(head, p + 1, "content-length:")) {
          int value = 0;
          for (int q = p + 1 + "content-length:".length(); q < len && head.charAt(q) != '\r'; q++) {
            char c = head.charAt(q);
            if (c >= '0' && c <= '9') {
              value = value * 10 + (c - '0');
            }
          }
          return value;
        }
      }
      return 0;
    }

    private static boolean startsWith(StringBuilder head, int at, String lowerName) {
      if (at + lowerName.length() > head.length()) {
        return false;
      }
      for (int k = 0; k < lowerName.length(); k++) {
        if (Character.toLowerCase(head.charAt(at + k)) != lowerName.charAt(k)) {
          return false;
        }
      }
      return true;
    }
  }
}
