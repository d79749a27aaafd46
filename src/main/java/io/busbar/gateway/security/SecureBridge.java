package io.busbar.gateway.security;

import io.busbar.NodeContext;
import io.busbar.observe.Observability;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * The SockJS bridge's gate: a Vert.x bridge-event hook that decides every socket, frame and delivery.
 * The Vert.x bridge itself is configured to permit everything, so this class is the only authority.
 * <ul>
 *   <li>Socket created: connection limits per node and per client IP (counted across the node's gateway
 *   instances by {@link NodeLimits}), then the token of the
 *   {@code gateway.auth.tokenQueryParam} query parameter (bad → {@code err invalid_token}, closed with
 *   4401). A socket whose token expires is closed (4401 {@code token_expired}) unless the client sent a
 *   fresh token in an {@code authorization: Bearer ...} frame header first (of any frame, or of a send
 *   to {@link #TOKEN_ADDRESS}, which replies with the socket's subject and expiry).</li>
 *   <li>Send, publish, register: size, rate, subscription count, then {@link AccessPolicy#check}.
 *   A send to a reply address is allowed only if this very socket received a message with that reply
 *   address (and only once). Reserved headers are replaced by the trusted identity headers.</li>
 *   <li>Receive: written by this class, through a bounded outbound queue; a socket that stays over
 *   {@code outboundQueueBytes} for {@code slowClientGraceMs} is closed with 4008 {@code slow_client}.</li>
 * </ul>
 * A refused address is answered by the Vert.x bridge itself, exactly as upstream:
 * {@code {"type":"err","body":"access_denied"}}. Every other refusal is an
 * {@code {"type":"err","body":code,"message":...}} frame, followed by the bridge's generic {@code rejected}.
 */
public final class SecureBridge implements Handler<BridgeEvent> {
  private static final Logger LOG = LoggerFactory.getLogger(SecureBridge.class);
  public static final int CLOSE_INVALID_TOKEN = 4401;
  public static final int CLOSE_TOO_MANY_CONNECTIONS = 4429;
  public static final int CLOSE_TOO_LARGE = 4413;
  public static final int CLOSE_SLOW_CLIENT = 4008;
  /**
   * The address a refused frame is rewritten to: the bridge's own permissions ({@link #BRIDGE_PERMITS})
   * match every address without a NUL character, which this one is and no permitted address can be.
   */
  public static final String DENIED = "\0";
  /** Send here with an {@code authorization} header to refresh a socket's token without other traffic. */
  public static final String TOKEN_ADDRESS = "busbar.token";
  public static final String BRIDGE_PERMITS = "[^\\x00]*";

  private final Vertx vertx;
  private final GatewaySecurity security;
  private final NodeContext node;
  private final long replyTimeoutMs;
  private final int maxPerNode;
  private final int maxPerIp;
  private final int maxSubscriptions;
  private final int maxMessageBytes;
  private final int oversizeStrikes;
  private final long queueBytes;
  private final long graceMs;
  private final Map<SockJSSocket, Session> sessions = new ConcurrentHashMap<>();
  /** The node's socket counts, shared with the node's other gateway instances. */
  private final NodeLimits nodeLimits;
  private final Observability observability;
  private final BurstFlushes burstFlushes;
  private final FanOut<Session> fanOut;
  private long timer = -1;

  public SecureBridge(Vertx vertx, GatewaySecurity security, long replyTimeoutMs) {
    this.vertx = vertx;
    this.security = security;
    this.node = NodeContext.of(vertx);
    this.replyTimeoutMs = replyTimeoutMs;
    JsonObject limits = security.limits;
    this.maxPerNode = limits.getInteger("maxConnectionsPerNode");
    this.maxPerIp = limits.getInteger("maxConnectionsPerIp");
    this.maxSubscriptions = limits.getInteger("maxSubscriptionsPerSocket");
    this.maxMessageBytes = limits.getInteger("maxMessageBytes");
    this.oversizeStrikes = limits.getInteger("oversizeFramesBeforeClose");
    this.queueBytes = limits.getInteger("outboundQueueBytes");
    this.graceMs = limits.getInteger("slowClientGraceMs");
    this.observability = Observability.of(vertx);
    this.nodeLimits = NodeLimits.of(vertx);
    this.burstFlushes = new BurstFlushes(vertx);
    this.fanOut = new FanOut<>(vertx, this::deliver, (address, sockets) -> observability.bridgeMessages("out", address, sockets),
      burstFlushes);
  }

  /** Where a WebSocket this gate's fan-out writes to is attached, so that a burst leaves in one write per socket. */
  public BurstFlushes burstFlushes() {
    return burstFlushes;
  }

  /** Starts the periodic check of expiry, slow clients and reply addresses. */
  public void start() {
    timer = vertx.setPeriodic(Math.max(50, Math.min(250, graceMs / 4)), id -> tick());
  }

  /** Stops the periodic check and unregisters the fan-out's consumers. */
  public Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return fanOut.close();
  }

  /** Open sockets this gate knows about (for tests and stats). */
  public int sessions() {
    return sessions.size();
  }

  /** Whether the gate admitted this socket and it has not closed yet. */
  public boolean admitted(SockJSSocket sock) {
    return sessions.containsKey(sock);
  }

  /** The sockets admitted and still open, as a copy. */
  public List<SockJSSocket> openSockets() {
    return List.copyOf(sessions.keySet());
  }

  @Override
  public void handle(BridgeEvent event) {
    try {
      switch (event.type()) {
        case SOCKET_CREATED -> created(event);
        case SOCKET_CLOSED -> closed(event.socket());
        case SEND, PUBLISH -> inbound(event);
        case REGISTER -> register(event);
        case UNREGISTER -> unregister(event);
        case RECEIVE -> receive(event);
        default -> event.complete(true);
      }
    } catch (RuntimeException e) {
      // A malformed frame must never take a socket's handling down with it: refuse the frame.
      LOG.debug("refused a frame that failed handling: {}", e.toString());
      error(event.socket(), "invalid_frame", "the frame is malformed");
      event.tryComplete(false);
    }
  }

  private void created(BridgeEvent event) {
    SockJSSocket sock = event.socket();
    String ip = sock.remoteAddress() == null ? "?" : sock.remoteAddress().hostAddress();
    // The per-IP count is checked first, so that a refused socket never holds a node slot.
    if (nodeLimits.ipFull(ip, maxPerIp) || !nodeLimits.tryTakeSocket(maxPerNode)) {
      error(sock, "too_many_connections", "gateway.limits.maxConnectionsPerNode or maxConnectionsPerIp reached");
      sock.close(CLOSE_TOO_MANY_CONNECTIONS, "too_many_connections");
      event.complete(false);
      return;
    }
    String token = token(sock.uri());
    Future<Identity> identity = token == null || !security.authEnabled()
      ? Future.succeededFuture(Identity.ANONYMOUS) : security.authenticator.authenticate(token);
    identity.onComplete((id, failure) -> {
      if (failure != null) {
        nodeLimits.releaseSocket();
        error(sock, "invalid_token", "the token is malformed, expired or not valid here");
        sock.close(CLOSE_INVALID_TOKEN, "invalid_token");
        event.complete(false);
        return;
      }
      // The session keeps the per-IP counter (and its one copy of the address), not a string of its own.
      sessions.put(sock, new Session(sock, nodeLimits.openedFrom(ip), id));
      node.socketsOpen.incrementAndGet();
      event.complete(true);
    });
  }

  private String token(String uri) {
    if (uri == null) {
      return null;
    }
    List<String> values = new QueryStringDecoder(uri).parameters().get(security.tokenQueryParam());
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  private void closed(SockJSSocket sock) {
    Session s = sessions.remove(sock);
    if (s != null) {
      s.forEachSubscription(address -> fanOut.unsubscribe(address, s));
      node.socketsOpen.decrementAndGet();
      nodeLimits.closedFrom(s.ip);
      nodeLimits.releaseSocket();
    }
  }

  private void inbound(BridgeEvent event) {
    admitted(event, (s, frame) -> {
      String address = frame.getValue("address") instanceof String a ? a : null;
      Object reply = frame.getValue("replyAddress");
      if (reply != null && !(reply instanceof String)) {
        refuse(event, "invalid_reply_address", "replyAddress must be a string");
        return;
      }
      if (TOKEN_ADDRESS.equals(address)) {
        tokenStatus(event, s, frame, (String) reply);
        return;
      }
      // A reply to a message this socket received: allowed once, whatever the rules say.
      Pending pending = event.type() == BridgeEventType.SEND ? s.takeReply(address) : null;
      if (pending != null && pending.message != null) {
        answer(s, pending.message, frame, (String) reply);
        return;
      }
      if (pending == null) {
        Action action = event.type() == BridgeEventType.PUBLISH ? Action.PUBLISH : reply != null ? Action.REQUEST : Action.SEND;
        if (!permitted(event, s, action, address)) {
          return;
        }
      }
      trustHeaders(frame, s.identity);
      node.eventsIn.incrementAndGet();
      event.complete(true);
    });
  }

  private void register(BridgeEvent event) {
    admitted(event, (s, frame) -> {
      String address = frame.getValue("address") instanceof String a ? a : null;
      if (!permitted(event, s, Action.SUBSCRIBE, address)) {
        return;
      }
      if (s.subscribed(address)) {
        // As the Vert.x bridge answers it; the frame goes no further.
        error(event.socket(), "address_already_registered", "this socket is already subscribed to the address");
        return;
      }
      if (s.subscriptionCount() >= maxSubscriptions) {
        refuse(event, "too_many_subscriptions", "gateway.limits.maxSubscriptionsPerSocket (" + maxSubscriptions + ") reached");
        return;
      }
      s.subscribe(fanOut.subscribe(address, s));
      // The event is deliberately left uncompleted: completing it would have the Vert.x bridge register a
      // consumer of its own for this socket, which is what the fan-out replaces. Nothing waits on it.
    });
  }

  /**
   * Runs {@code next} for a frame of a known socket once a token in its headers (if any) is checked and
   * the frame passed the size, rate and shape limits; otherwise the frame is refused here.
   */
  private void admitted(BridgeEvent event, BiConsumer<Session, JsonObject> next) {
    Session s = sessions.get(event.socket());
    if (s == null) {
      event.complete(false);
      return;
    }
    JsonObject frame = event.getRawMessage();
    refreshThen(event, s, frame, () -> {
      if (admit(event, s, frame)) {
        next.accept(s, frame);
      }
    });
  }

  private void unregister(BridgeEvent event) {
    Session s = sessions.get(event.socket());
    JsonObject frame = event.getRawMessage();
    if (s != null && frame != null && frame.getValue("address") instanceof String a && s.unsubscribe(a)) {
      fanOut.unsubscribe(a, s);
    }
    event.complete(true);
  }

  /** Size and rate checks shared by every client frame; false if refused (and answered). */
  private boolean admit(BridgeEvent event, Session s, JsonObject frame) {
    if (frame.getValue("headers") != null && !(frame.getValue("headers") instanceof JsonObject)) {
      refuse(event, "invalid_headers", "headers must be an object of strings");
      return false;
    }
    int size = frame.toBuffer().length();
    if (size > maxMessageBytes) {
      s.oversize++;
      refuse(event, "message_too_large", "the frame is larger than gateway.limits.maxMessageBytes (" + maxMessageBytes + ")");
      if (s.oversize >= oversizeStrikes) {
        event.socket().close(CLOSE_TOO_LARGE, "message_too_large");
      }
      return false;
    }
    s.oversize = 0;
    long wait = security.perConnection.tryAcquireIn(s);
    if (wait == 0 && !s.identity.anonymous()) {
      wait = security.perToken.tryAcquire("sub:" + s.identity.subject());
    }
    if (wait > 0) {
      JsonObject err = new JsonObject().put("type", "err").put("body", "rate_limited").put("retryAfterMs", wait)
        .put("message", "too many messages: see gateway.limits.messagesPerSecondPerConnection and messagesPerSecondPerToken");
      event.socket().write(err.toBuffer());
      event.complete(false);
      return false;
    }
    return true;
  }

  private boolean permitted(BridgeEvent event, Session s, Action action, String address) {
    Decision d = security.policy.check(s.identity, action, address);
    if (d.allowed()) {
      return true;
    }
    if (d == Decision.FORBIDDEN || d == Decision.UNAUTHENTICATED) {
      // Let the Vert.x bridge refuse it itself: exactly its own {"type":"err","body":"access_denied"}, nothing more.
      event.getRawMessage().put("address", DENIED);
      event.complete(true);
      return false;
    }
    refuse(event, d.code, d.toApiError(action, GatewaySecurity.abbreviate(address), security.policy.maxAddressLength()).message());
    return false;
  }

  /**
   * A send to {@link #TOKEN_ADDRESS} (after its {@code authorization} header, if any, was applied) is
   * answered by the gate itself with the socket's identity, and goes nowhere: the bridge is handed a
   * fire-and-forget send to an address nothing consumes, because it has no silent way to drop a frame.
   */
  private void tokenStatus(BridgeEvent event, Session s, JsonObject frame, String reply) {
    if (reply != null && reply.length() <= 36) {
      JsonObject body = new JsonObject().put("sub", s.identity.subject()).put("expiresAt", s.identity.expiresAtMillis());
      event.socket().write(new JsonObject().put("type", "rec").put("address", reply).put("body", body).toBuffer());
    }
    frame.put("address", TOKEN_ADDRESS + ".void").remove("replyAddress");
    frame.remove("headers");
    frame.putNull("body");
    event.complete(true);
  }

  /** Applies a fresh token from the frame's {@code authorization} header, if any, then continues. */
  private void refreshThen(BridgeEvent event, Session s, JsonObject frame, Runnable next) {
    JsonObject headers = frame.getValue("headers") instanceof JsonObject h ? h : null;
    String auth = null;
    if (headers != null) {
      for (String name : Set.copyOf(headers.fieldNames())) {
        if (name.equalsIgnoreCase("authorization")) {
          auth = String.valueOf(headers.remove(name));
        }
      }
    }
    if (auth == null || !security.authEnabled()) {
      if (s.identity.expiresAtMillis() > 0 && s.identity.expiresAtMillis() <= System.currentTimeMillis()) {
        expire(event.socket());
        event.complete(false);
        return;
      }
      next.run();
      return;
    }
    String token = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).trim() : auth.trim();
    security.authenticator.authenticate(token).onComplete((id, failure) -> {
      if (failure != null || (!s.identity.anonymous() && !s.identity.subject().equals(id.subject()))) {
        error(event.socket(), "invalid_token", "the fresh token is not valid or names another subject");
        event.socket().close(CLOSE_INVALID_TOKEN, "invalid_token");
        event.complete(false);
        return;
      }
      s.identity = id;
      next.run();
    });
  }

  private void trustHeaders(JsonObject frame, Identity identity) {
    JsonObject headers = frame.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    Map<String, Object> copy = new HashMap<>(headers.getMap());
    security.headers.apply(copy, identity, v -> v);
    if (copy.isEmpty()) {
      frame.remove("headers");
    } else {
      frame.put("headers", new JsonObject(copy));
    }
  }

  /**
   * A message the Vert.x bridge delivers itself: only the replies to this socket's own requests now, the
   * subscriptions being the fan-out's. Written by this class, through the bounded queue.
   */
  private void receive(BridgeEvent event) {
    Session s = sessions.get(event.socket());
    event.complete(false);
    if (s == null) {
      return;
    }
    JsonObject envelope = event.getRawMessage();
    if (envelope.getValue("replyAddress") instanceof String reply) {
      s.expectReply(reply, new Pending(null, System.currentTimeMillis() + replyTimeoutMs));
    }
    write(s, envelope.toBuffer());
  }

  /** A fan-out delivery: the frame is shared by every socket the message reaches. */
  private void deliver(Session s, Message<Object> message, SharedFrame frame) {
    if (message.replyAddress() != null) {
      s.expectReply(message.replyAddress(), new Pending(message, System.currentTimeMillis() + replyTimeoutMs));
    }
    write(s, frame.length(), null, frame);
  }

  private void write(Session s, Buffer frame) {
    write(s, frame.length(), frame, null);
  }

  /**
   * Writes through the socket's bounded queue; a socket over it loses the frame and is timed for closing.
   * {@code shared}, if given instead of {@code frame}, is the frame for every socket of a fan-out: written
   * by reference where the socket can, else as its payload (copied out of the shared bytes only then).
   */
  private void write(Session s, int size, Buffer frame, SharedFrame shared) {
    long queued = queued(s);
    if (queued + size > queueBytes) {
      s.dropped++;
      if (s.overSince == 0) {
        s.overSince = System.currentTimeMillis();
      }
      return;
    }
    if (s.overSince != 0 && queued <= queueBytes / 2) {
      s.overSince = 0;
    }
    node.eventsOut.incrementAndGet();
    Future<Void> written = shared != null && s.sock instanceof SharedFrame.Writer writer ? writer.writeShared(shared) : null;
    if (written == SharedFrame.HANDED_OVER) {
      // In the channel's own buffer, which queued(s) counts until sent: nothing to wait for.
      return;
    }
    s.queued += size;
    (written != null ? written : s.sock.write(frame != null ? frame : shared.payload())).onComplete((v, e) -> {
      s.queued -= size;
      if (queued(s) <= queueBytes / 2) {
        s.overSince = 0;
      }
    });
  }

  /**
   * The socket's outbound queue: frames written through Vert.x and not sent yet, and shared frames
   * handed straight to the socket's channel and not sent yet. (A frame of the first kind counts twice
   * while it waits in the channel: a slow socket drops a little early rather than late.)
   */
  private static long queued(Session s) {
    return s.queued + (s.sock instanceof SharedFrame.Writer writer ? writer.unsentBytes() : 0);
  }

  /**
   * The client's reply to a request it received through the fan-out: sent to the requester here, since
   * the Vert.x bridge never saw the request. A reply that asks for a reply itself gets it as a
   * {@code rec} frame (or an {@code err} frame with the failure), as the Vert.x bridge would send it.
   */
  private void answer(Session s, Message<Object> request, JsonObject frame, String replyAddress) {
    if (replyAddress != null && replyAddress.length() > 36) {
      error(s.sock, "invalid_reply_address", "replyAddress is longer than 36 characters");
      return;
    }
    trustHeaders(frame, s.identity);
    node.eventsIn.incrementAndGet();
    observability.bridgeMessage("in", request.replyAddress());
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(replyTimeoutMs);
    if (frame.getValue("headers") instanceof JsonObject headers) {
      MultiMap map = MultiMap.caseInsensitiveMultiMap();
      headers.forEach(e -> map.add(e.getKey(), String.valueOf(e.getValue())));
      options.setHeaders(map);
    }
    Object body = frame.getValue("body");
    if (replyAddress == null) {
      request.reply(body, options);
      return;
    }
    request.replyAndRequest(body, options).onComplete((answer, failure) -> {
      if (failure == null) {
        if (answer.replyAddress() != null) {
          s.expectReply(answer.replyAddress(), new Pending(answer, System.currentTimeMillis() + replyTimeoutMs));
        }
        write(s, FanOut.envelope(replyAddress, answer));
      } else if (failure instanceof ReplyException cause) {
        write(s, new JsonObject().put("type", "err").put("address", replyAddress).put("failureCode", cause.failureCode())
          .put("failureType", cause.failureType().name()).put("message", cause.getMessage()).toBuffer());
      }
    });
  }

  private void tick() {
    long now = System.currentTimeMillis();
    sessions.forEach((sock, s) -> {
      if (s.overSince > 0 && queued(s) <= queueBytes / 2) {
        // Drained by shared frames leaving, which no write completion reports.
        s.overSince = 0;
      }
      if (s.overSince > 0 && now - s.overSince >= graceMs && !s.closing) {
        s.closing = true;
        LOG.info("closing a slow SockJS client from {}: {} bytes queued, {} messages dropped", s.ip.ip, queued(s), s.dropped);
        sock.close(CLOSE_SLOW_CLIENT, "slow_client");
        // The close frame may sit behind the stuck data: forget the socket now, whatever the transport does.
        closed(sock);
      } else if (s.identity.expiresAtMillis() > 0 && s.identity.expiresAtMillis() <= now && !s.closing) {
        expire(sock);
      }
      if (s.replies != null) {
        s.replies.values().removeIf(p -> p.expiresAt <= now);
      }
    });
  }

  private void expire(SockJSSocket sock) {
    Session s = sessions.get(sock);
    if (s != null) {
      s.closing = true;
    }
    error(sock, "token_expired", "the token expired; send a fresh one in an authorization frame header before it does");
    sock.close(CLOSE_INVALID_TOKEN, "token_expired");
  }

  private void refuse(BridgeEvent event, String code, String message) {
    error(event.socket(), code, message);
    event.complete(false);
  }

  private static void error(SockJSSocket sock, String code, String message) {
    sock.write(new JsonObject().put("type", "err").put("body", code).put("message", message).toBuffer());
  }

  /**
   * A message with a reply address that a client received and may answer once until {@code expiresAt}:
   * {@code message} is null when the Vert.x bridge delivered it (and forwards the answer itself).
   */
  private record Pending(Message<Object> message, long expiresAt) {
  }

  /**
   * One socket's state; touched only from its event loop. It is also the socket's per-connection rate
   * limit bucket. Kept small: there is one per open socket.
   */
  private static final class Session extends RateLimiter.Bucket {
    final SockJSSocket sock;
    final NodeLimits.IpCount ip;
    volatile Identity identity;
    /**
     * The addresses subscribed to: null for none, the address itself for one (as most sockets have), else
     * a set. The strings are the fan-out's own instances.
     */
    private Object subscriptions;
    /** Reply addresses of messages this socket received, created on the first: most sockets never get one. */
    Map<String, Pending> replies;
    volatile long queued;
    volatile long overSince;
    volatile boolean closing;
    long dropped;
    int oversize;

    Session(SockJSSocket sock, NodeLimits.IpCount ip, Identity identity) {
      this.sock = sock;
      this.ip = ip;
      this.identity = identity;
    }

    boolean subscribed(String address) {
      return subscriptions instanceof Set<?> set ? set.contains(address) : address != null && address.equals(subscriptions);
    }

    int subscriptionCount() {
      return subscriptions == null ? 0 : subscriptions instanceof Set<?> set ? set.size() : 1;
    }

    @SuppressWarnings("unchecked")
    void subscribe(String address) {
      if (subscriptions == null) {
        subscriptions = address;
      } else if (subscriptions instanceof Set<?> set) {
        ((Set<String>) set).add(address);
      } else if (!subscriptions.equals(address)) {
        Set<String> set = new HashSet<>(4);
        set.add((String) subscriptions);
        set.add(address);
        subscriptions = set;
      }
    }

    /** False if the socket was not subscribed to the address. */
    boolean unsubscribe(String address) {
      if (subscriptions instanceof Set<?> set) {
        boolean removed = set.remove(address);
        if (set.isEmpty()) {
          subscriptions = null;
        }
        return removed;
      }
      if (address != null && address.equals(subscriptions)) {
        subscriptions = null;
        return true;
      }
      return false;
    }

    /** Runs {@code action} on each address subscribed to, as they are now (it may unsubscribe). */
    @SuppressWarnings("unchecked")
    void forEachSubscription(java.util.function.Consumer<String> action) {
      if (subscriptions instanceof Set<?> set) {
        List.copyOf((Set<String>) set).forEach(action);
      } else if (subscriptions != null) {
        action.accept((String) subscriptions);
      }
    }

    void expectReply(String address, Pending pending) {
      if (replies == null) {
        replies = new ConcurrentHashMap<>();
      }
      replies.put(address, pending);
    }

    Pending takeReply(String address) {
      return replies == null || address == null ? null : replies.remove(address);
    }
  }
}
