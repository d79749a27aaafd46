package io.busbar.testing;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A raw-WebSocket SockJS bridge client for tests: every frame it receives, and how it was closed.
 *
 * <p>It speaks RFC 6455 over a plain socket, for two reasons. A server that refuses a socket (a bad
 * token, too many connections) writes its error frame and closes right after the handshake; when those
 * frames come in the same read as the handshake, a Vert.x 5 {@code ClientWebSocket} is already closed
 * when its connect callback sets the handlers, refuses them, and the error frame is lost. And the per-IP
 * limit tests need to pick the local address, which the JDK 17 WebSocket client cannot. Here every frame
 * is recorded, then the close, in the order they arrived.
 */
public final class BridgeClient implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  public final Queue<JsonObject> frames = new ConcurrentLinkedQueue<>();
  public volatile Short closeCode;
  public volatile String closeReason;
  public volatile boolean closed;

  private final CopyOnWriteArrayList<Consumer<JsonObject>> listeners = new CopyOnWriteArrayList<>();
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  /** One writer thread keeps frames in order and never blocks a caller on an event loop. */
  private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> daemon(r, "bridge-client-writer"));

  private BridgeClient(Socket socket) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
  }

  /** Opens {@code uri} (path and query) on the node's HTTP port; fails if the handshake is refused. */
  public static BridgeClient open(int port, String uri) {
    return open(port, uri, null);
  }

  /** As {@link #open(int, String)}, from {@code localAddress} (a loopback alias such as 127.0.0.2) if not null. */
  public static BridgeClient open(int port, String uri, String localAddress) {
    Socket socket = new Socket();
    try {
      if (localAddress != null) {
        socket.bind(new InetSocketAddress(localAddress, 0));
      }
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout((int) Wait.DEFAULT.toMillis());
      BridgeClient client = new BridgeClient(socket);
      client.handshake(port, uri);
      socket.setSoTimeout(0);
      daemon(client::read, "bridge-client-reader").start();
      return client;
    } catch (IOException e) {
      closeQuietly(socket);
      throw new AssertionError("WebSocket " + uri + " not opened: " + e, e);
    }
  }

  /** The raw WebSocket endpoint, with {@code token} (already URL-safe) as the access token if not null. */
  public static BridgeClient connect(int port, String token) {
    return open(port, "/eventbus/websocket" + (token == null ? "" : "?access_token=" + token));
  }

  /** Called with each frame as it arrives, besides recording it. */
  public void onFrame(Consumer<JsonObject> listener) {
    listeners.add(listener);
  }

  public void send(JsonObject frame) {
    try {
      sendText(frame.encode()).get(Wait.DEFAULT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("frame not sent: " + e, e);
    }
  }

  public void sendNoWait(JsonObject frame) {
    sendText(frame.encode());
  }

  public CompletableFuture<Void> sendText(String text) {
    return write(0x1, text.getBytes(StandardCharsets.UTF_8));
  }

  public CompletableFuture<Void> sendBinary(Buffer data) {
    return write(0x2, data.getBytes());
  }

  public Optional<JsonObject> find(Predicate<JsonObject> match) {
    return frames.stream().filter(match).findFirst();
  }

  /**
   * Takes frames in arrival order until one matches {@code wanted} (returned) or {@code timeout} passes
   * (null); the frames before it are dropped, so each call sees only what came after the last match.
   */
  public JsonObject take(Predicate<JsonObject> wanted, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      JsonObject frame;
      while ((frame = frames.poll()) != null) {
        if (wanted.test(frame)) {
          return frame;
        }
      }
    } while (Wait.within(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())), () -> !frames.isEmpty()));
    return null;
  }

  public long count(Predicate<JsonObject> match) {
    return frames.stream().filter(match).count();
  }

  public JsonObject await(String what, Predicate<JsonObject> match) {
    Wait.until(what + " (frames so far: " + abbreviated() + ")", () -> find(match).isPresent());
    return find(match).orElseThrow();
  }

  public void awaitClosed(String what, Duration timeout) {
    Wait.until(what + " (frames so far: " + abbreviated() + ")", timeout, () -> closed);
  }

  public static Predicate<JsonObject> err(String code) {
    return f -> "err".equals(f.getString("type")) && code.equals(f.getValue("body"));
  }

  public static Predicate<JsonObject> rec(String address) {
    return f -> "rec".equals(f.getString("type")) && address.equals(f.getString("address"));
  }

  private String abbreviated() {
    String s = frames.toString();
    return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }

  /** Drops the connection at once, as a client that goes away does. */
  @Override
  public void close() {
    closed = true;
    writer.shutdownNow();
    closeQuietly(socket);
  }

  private void handshake(int port, String uri) throws IOException {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    String request = "GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed during the handshake: " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
    }
    String statusLine = head.toString(StandardCharsets.ISO_8859_1).lines().findFirst().orElse("");
    if (!statusLine.startsWith("HTTP/1.1 101")) {
      throw new IOException("handshake refused: " + statusLine);
    }
  }

  /** Reads frames until the server closes; text and binary messages are JSON bridge frames. */
  private void read() {
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    try {
      while (true) {
        int first = in.readUnsignedByte();
        int second = in.readUnsignedByte();
        long length = second & 0x7f;
        if (length == 126) {
          length = in.readUnsignedShort();
        } else if (length == 127) {
          length = in.readLong();
        }
        byte[] mask = null;
        if ((second & 0x80) != 0) {
          mask = in.readNBytes(4);
        }
        byte[] payload = in.readNBytes((int) length);
        if (mask != null) {
          for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i % 4];
          }
        }
        int opcode = first & 0x0f;
        switch (opcode) {
          case 0x0, 0x1, 0x2 -> {
            message.writeBytes(payload);
            if ((first & 0x80) != 0) {
              received(message.toString(StandardCharsets.UTF_8));
              message.reset();
            }
          }
          case 0x8 -> {
            closeCode = payload.length >= 2 ? (short) (((payload[0] & 0xff) << 8) | (payload[1] & 0xff)) : 1005;
            closeReason = payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
            closed = true;
            write(0x8, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0])
              .whenComplete((v, e) -> closeQuietly(socket));
            return;
          }
          case 0x9 -> write(0xA, payload);
          default -> { }
        }
      }
    } catch (IOException e) {
      // The connection dropped without a close frame (or close() was called): the socket is closed.
      closed = true;
      closeQuietly(socket);
    }
  }

  private CompletableFuture<Void> write(int opcode, byte[] payload) {
    try {
      return CompletableFuture.runAsync(() -> {
        try {
          writeFrame(opcode, payload);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }, writer);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new IOException("the client is closed"));
    }
  }

  /** A client frame: final, masked as RFC 6455 requires. */
  private void writeFrame(int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write(0x80 | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (((long) payload.length >>> shift) & 0xff));
      }
    }
    byte[] mask = new byte[4];
    RANDOM.nextBytes(mask);
    frame.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    frame.writeTo(out);
    out.flush();
  }

  private void received(String data) {
    JsonObject frame;
    try {
      frame = new JsonObject(data);
    } catch (DecodeException e) {
      frame = new JsonObject().put("unparsed", data);
    }
    frames.add(frame);
    for (Consumer<JsonObject> listener : listeners) {
      listener.accept(frame);
    }
  }

  private static Thread daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    return thread;
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Closing a socket that is already gone.
    }
  }
}
