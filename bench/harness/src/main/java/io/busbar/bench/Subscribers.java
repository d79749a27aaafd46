package io.busbar.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
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
  /** Each Busbar subscriber pings every 5 s, as the JavaScript bridge client does by default. */
  private static final long PING_INTERVAL_MS = 5_000;
  /**
   * Pings go out in slices of the subscribers every 50 ms, each subscriber still every 5 s: clients that
   * connected at different moments ping at different moments. One timer pinging all of them at once made a
   * burst of 1,000 ping frames every 5 s in B2, which delayed whichever event came right after it.
   */
  private static final long PING_TICK_MS = 50;
  private static final int PING_SLICES = (int) (PING_INTERVAL_MS / PING_TICK_MS);

  private final Vertx vertx;
  private final Protocol protocol;
  private final int port;
  private final String address;
  private final NetClient client;
  private final List<Sub> subs = new ArrayList<>();
  private final AtomicInteger probed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile Deliveries deliveries = new Deliveries(0);
  private long pingTimer = -1;
  private long pingTick;

  Subscribers(Vertx vertx, Protocol protocol, int port, String address) {
    this.vertx = vertx;
    this.protocol = protocol;
    this.port = port;
    this.address = address;
    this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(30_000).setTcpNoDelay(true));
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
    // Only the Busbar bridge's clients ping (the others' servers ping them).
    if (pingTimer < 0 && protocol == Protocol.BUSBAR) {
      pingTimer = vertx.setPeriodic(PING_TICK_MS, id -> ping());
    }
  }

  private void openNext(int n, AtomicInteger next, AtomicInteger finished, Promise<Void> done) {
    if (next.getAndIncrement() >= n) {
      return;
    }
    client.connect(port, "127.0.0.1").compose(socket -> {
      Sub s = new Sub(socket);
      return s.upgraded().timeout(30, TimeUnit.SECONDS).map(s).onFailure(e -> socket.close());
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        synchronized (subs) {
          subs.add(ar.result());
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

  /** Pings this tick's slice of the subscribers: the ones whose index falls on it. */
  private void ping() {
    int slice = (int) (pingTick++ % PING_SLICES);
    synchronized (subs) {
      for (int i = slice; i < subs.size(); i += PING_SLICES) {
        subs.get(i).ping();
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

  /**
   * One subscriber: a WebSocket client on plain TCP. It writes the upgrade request, reads the 101, then
   * parses the server's frames in place, as {@link RawHttpLoad} does for HTTP. The Vert.x WebSocket client
   * made objects per frame (decoder output, aggregator, a Buffer, a String), and in B3's 1,000-subscriber
   * bursts the load generator's CPU set the span for the systems that send one frame per event: 0.7-1.0 us
   * of load generator CPU per delivery to Busbar, against 0.35-0.45 us with this parser. NATS packs a
   * burst's messages into a frame or two, so it paid that cost far less often. Client frames are masked,
   * as RFC 6455 requires.
   */
  private final class Sub {
    private final NetSocket socket;
    private final Promise<Void> upgraded = Promise.promise();
    private byte[] in = new byte[4096];
    private int inLen;
    private boolean open;
    /** Fragments of a message whose last frame has not arrived yet. */
    private byte[] fragments;
    private int fragmentsLen;
    private boolean inFragments;
    /** NATS only: protocol bytes received and not parsed yet (a frame can end mid-line). */
    private byte[] nats = new byte[0];
    private int natsLen;
    private final AsciiView view = new AsciiView();
    private boolean gotProbe;

    Sub(NetSocket socket) {
      this.socket = socket;
      socket.handler(this::read);
      socket.exceptionHandler(e -> upgraded.tryFail(e));
      socket.closeHandler(v -> upgraded.tryFail("closed before the upgrade"));
      byte[] key = new byte[16];
      ThreadLocalRandom.current().nextBytes(key);
      socket.write("GET " + path() + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
    }

    Future<Void> upgraded() {
      return upgraded.future();
    }

    void ping() {
      if (protocol == Protocol.BUSBAR && open) {
        send(1, "{\"type\":\"ping\"}");
      }
    }

    private void read(Buffer b) {
      int n = b.length();
      if (inLen + n > in.length) {
        in = Arrays.copyOf(in, Math.max(in.length * 2, inLen + n));
      }
      b.getBytes(0, n, in, inLen);
      inLen += n;
      int at = open ? 0 : upgrade();
      if (at < 0) {
        return;
      }
      at = frames(at);
      System.arraycopy(in, at, in, 0, inLen - at);
      inLen -= at;
    }

    /** Parses the upgrade response; returns where the frames start, or -1 if it is not complete. */
    private int upgrade() {
      for (int i = 3; i < inLen; i++) {
        if (in[i] == '\n' && in[i - 1] == '\r' && in[i - 2] == '\n' && in[i - 3] == '\r') {
          String head = new String(in, 0, i + 1, StandardCharsets.ISO_8859_1);
          if (!head.startsWith("HTTP/1.1 101")) {
            upgraded.tryFail(head.substring(0, head.indexOf('\r')));
            socket.close();
            return -1;
          }
          open = true;
          if (protocol == Protocol.BUSBAR) {
            send(1, "{\"type\":\"register\",\"address\":\"" + address + "\"}");
          }
          upgraded.tryComplete();
          return i + 1;
        }
      }
      return -1;
    }

    /** Handles every complete frame from {@code at}; returns where the first incomplete one starts. */
    private int frames(int at) {
      while (inLen - at >= 2) {
        int b0 = in[at] & 0xff;
        int b1 = in[at + 1] & 0xff;
        int header = 2;
        long len = b1 & 0x7f;
        if (len == 126) {
          if (inLen - at < 4) {
            break;
          }
          len = ((in[at + 2] & 0xff) << 8) | (in[at + 3] & 0xff);
          header = 4;
        } else if (len == 127) {
          if (inLen - at < 10) {
            break;
          }
          len = 0;
          for (int i = 0; i < 8; i++) {
            len = (len << 8) | (in[at + 2 + i] & 0xff);
          }
          header = 10;
        }
        boolean masked = (b1 & 0x80) != 0;
        int maskAt = at + header;
        if (masked) {
          header += 4;
        }
        if (inLen - at < header + len) {
          break;
        }
        int from = at + header;
        int size = (int) len;
        if (masked) {
          for (int i = 0; i < size; i++) {
            in[from + i] ^= in[maskAt + (i & 3)];
          }
        }
        frame(b0 & 0x80, b0 & 0x0f, from, size);
        at = from + size;
      }
      return at;
    }

    private void frame(int fin, int opcode, int from, int size) {
      switch (opcode) {
        case 0, 1, 2 -> {
          if (fin != 0 && !inFragments) {
            message(in, from, size);
            return;
          }
          // A fragmented message: kept until its last frame.
          if (fragments == null || fragmentsLen + size > fragments.length) {
            fragments = Arrays.copyOf(fragments == null ? new byte[0] : fragments, Math.max(4096, (fragmentsLen + size) * 2));
          }
          System.arraycopy(in, from, fragments, fragmentsLen, size);
          fragmentsLen += size;
          inFragments = fin == 0;
          if (fin != 0) {
            message(fragments, 0, fragmentsLen);
            fragmentsLen = 0;
          }
        }
        case 8 -> socket.close();
        case 9 -> send(10, Arrays.copyOfRange(in, from, from + size));
        default -> { }
      }
    }

    private void message(byte[] bytes, int from, int size) {
      switch (protocol) {
        case SOCKETIO -> socketIo(bytes, from, size);
        case NATS -> nats(bytes, from, size);
        default -> deliver(bytes, from, size);
      }
    }

    private void deliver(byte[] bytes, int from, int size) {
      view.of(bytes, from, size);
      if (!deliveries.onText(view) && !gotProbe && Deliveries.indexOf(view, "\"probe\"") >= 0) {
        gotProbe = true;
        probed.incrementAndGet();
      }
    }

    private void socketIo(byte[] bytes, int from, int size) {
      if (size >= 2 && bytes[from] == '4' && bytes[from + 1] == '2') {
        deliver(bytes, from, size);
      } else if (size == 1 && bytes[from] == '2') {
        send(1, "3");
      } else if (size >= 2 && bytes[from] == '0' && bytes[from + 1] == '{') {
        send(1, "40");
      }
    }

    private void nats(byte[] bytes, int from, int size) {
      if (natsLen + size > nats.length) {
        nats = Arrays.copyOf(nats, Math.max(nats.length * 2, natsLen + size));
      }
      System.arraycopy(bytes, from, nats, natsLen, size);
      natsLen += size;
      int at = 0;
      while (true) {
        int eol = -1;
        for (int i = at; i + 1 < natsLen; i++) {
          if (nats[i] == '\r' && nats[i + 1] == '\n') {
            eol = i;
            break;
          }
        }
        if (eol < 0) {
          break;
        }
        if (startsWith(nats, at, "MSG ")) {
          // MSG <subject> <sid> [reply-to] <#bytes>: the size is the line's last field.
          int sizeAt = eol;
          while (sizeAt > at && nats[sizeAt - 1] != ' ') {
            sizeAt--;
          }
          int payload = (int) Deliveries.number(view.of(nats, sizeAt, eol - sizeAt), 0);
          if (natsLen < eol + 2 + payload + 2) {
            break;
          }
          deliver(nats, eol + 2, payload);
          at = eol + 2 + payload + 2;
          continue;
        }
        if (startsWith(nats, at, "PING")) {
          send(2, "PONG\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (startsWith(nats, at, "INFO")) {
          send(2, ("CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nSUB " + address + " 1\r\n")
            .getBytes(StandardCharsets.US_ASCII));
        } else if (startsWith(nats, at, "-ERR")) {
          System.err.println("nats: " + new String(nats, at, eol - at, StandardCharsets.US_ASCII));
        }
        at = eol + 2;
      }
      System.arraycopy(nats, at, nats, 0, natsLen - at);
      natsLen -= at;
    }

    private void send(int opcode, String text) {
      send(opcode, text.getBytes(StandardCharsets.UTF_8));
    }

    /** One masked frame (every client frame must be). */
    private void send(int opcode, byte[] payload) {
      int len = payload.length;
      Buffer frame = Buffer.buffer(len + 8).appendByte((byte) (0x80 | opcode));
      if (len < 126) {
        frame.appendByte((byte) (0x80 | len));
      } else {
        frame.appendByte((byte) (0x80 | 126)).appendShort((short) len);
      }
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      frame.appendBytes(mask);
      byte[] masked = new byte[len];
      for (int i = 0; i < len; i++) {
        masked[i] = (byte) (payload[i] ^ mask[i & 3]);
      }
      socket.write(frame.appendBytes(masked));
    }
  }

  private static boolean startsWith(byte[] bytes, int at, String prefix) {
    if (bytes.length - at < prefix.length()) {
      return false;
    }
    for (int i = 0; i < prefix.length(); i++) {
      if (bytes[at + i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Bytes read as ASCII characters, without a copy: what the benchmark events and envelopes are. */
  private static final class AsciiView implements CharSequence {
    private byte[] bytes;
    private int from;
    private int length;

    AsciiView of(byte[] bytes, int from, int length) {
      this.bytes = bytes;
      this.from = from;
      this.length = length;
      return this;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      return (char) (bytes[from + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new String(bytes, from + start, end - start, StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
      return new String(bytes, from, length, StandardCharsets.ISO_8859_1);
    }
  }
}
