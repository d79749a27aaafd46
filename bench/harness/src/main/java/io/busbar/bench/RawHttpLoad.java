package io.busbar.bench;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;

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
    ClosedWindow window = new ClosedWindow(warmS, measureS, connections);
    Context[] contexts = {vertx.getOrCreateContext(), vertx.getOrCreateContext()};
    for (int i = 0; i < connections; i++) {
      contexts[i % contexts.length].runOnContext(v -> net.connect(port, "127.0.0.1")
        .onSuccess(socket -> new Connection(window, socket, request, depth).start())
        .onFailure(window.finished::tryFail));
    }
    try {
      return window.await(warmS);
    } finally {
      net.close();
    }
  }

  /** One pipelined connection: {@code depth} requests in flight, a new one sent as each answer completes. */
  private static final class Connection {
    private final ClosedWindow window;
    private final NetSocket socket;
    private final Buffer request;
    /** Send times of the requests in flight, oldest first (HTTP/1.1 answers come in order). */
    private final long[] sent;
    private int oldest;
    private int inFlight;
    private final ResponseParser parser = new ResponseParser();
    private boolean over;

    Connection(ClosedWindow window, NetSocket socket, Buffer request, int depth) {
      this.window = window;
      this.socket = socket;
      this.request = request;
      this.sent = new long[depth];
    }

    void start() {
      socket.handler(buf -> parser.feed(buf, this::answered));
      socket.closeHandler(v -> {
        if (!over) {
          // Closed by the server with requests in flight: each one is an error.
          window.errors.addAndGet(inFlight);
          finish();
        }
      });
      for (int i = 0; i < sent.length; i++) {
        send();
      }
    }

    private void send() {
      sent[(oldest + inFlight) % sent.length] = Clock.now();
      inFlight++;
      socket.write(request);
    }

    private void answered(int status) {
      long t1 = Clock.now();
      long t0 = sent[oldest];
      oldest = (oldest + 1) % sent.length;
      inFlight--;
      window.record(t0, t1, true, status >= 200 && status < 300);
      if (window.open(t1)) {
        send();
      } else if (inFlight == 0) {
        finish();
        socket.close();
      }
    }

    private void finish() {
      if (!over) {
        over = true;
        window.stopped();
      }
    }
  }

  /**
   * Finds complete HTTP/1.1 responses in a byte stream: the status line and headers up to the blank line,
   * then a {@code content-length} body or a chunked one (Node's HTTP server, the Socket.IO peer's, chunks
   * its answers).
   */
  static final class ResponseParser {
    interface Listener {
      void answered(int status);
    }

    /** {@code bodyLeft} while a chunked body's size lines, chunk ends and last blank line are read. */
    private static final int CHUNKED = -2;

    private final StringBuilder head = new StringBuilder(256);
    private final StringBuilder line = new StringBuilder(16);
    private int bodyLeft = -1;
    /** In a chunked body: data bytes of the current chunk still to skip, then its CRLF. */
    private int chunkLeft;
    private boolean lastChunk;
    private int status;

    void feed(Buffer buf, Listener listener) {
      int n = buf.length();
      int i = 0;
      while (i < n) {
        if (bodyLeft == CHUNKED) {
          if (chunkLeft > 0) {
            int take = Math.min(chunkLeft, n - i);
            i += take;
            chunkLeft -= take;
            continue;
          }
          char c = (char) (buf.getByte(i++) & 0xff);
          if (c != '\n') {
            line.append(c);
            continue;
          }
          String text = line.toString().trim();
          line.setLength(0);
          if (lastChunk) {
            if (text.isEmpty()) {
              // The blank line after the last chunk (and any trailers): the answer is complete.
              lastChunk = false;
              bodyLeft = -1;
              listener.answered(status);
            }
          } else if (!text.isEmpty()) {
            int semi = text.indexOf(';');
            int size = Integer.parseInt(semi < 0 ? text : text.substring(0, semi), 16);
            if (size == 0) {
              lastChunk = true;
            } else {
              // The data, then the CRLF that ends it (read as an empty line).
              chunkLeft = size;
            }
          }
        } else if (bodyLeft < 0) {
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

    /**
     * The {@code content-length} of a response head (0 without one), or {@link #CHUNKED}; looked up in
     * place, once per answer.
     */
    private static int contentLength(StringBuilder head) {
      int len = head.length();
      for (int p = 0; p + 1 < len; p++) {
        if (head.charAt(p) != '\n') {
          continue;
        }
        if (startsWith(head, p + 1, "transfer-encoding:")) {
          return CHUNKED;
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
