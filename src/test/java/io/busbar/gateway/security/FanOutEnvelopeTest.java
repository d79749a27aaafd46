package io.busbar.gateway.security;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The envelope written straight to bytes says what the JsonObject-built one said, for every body kind. */
class FanOutEnvelopeTest {
  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void sameAsTheJsonObjectEnvelopeForEveryBodyKind() throws Exception {
    DeliveryOptions headers = new DeliveryOptions().addHeader("ce-id", "1").addHeader("ce-type", "t")
      .addHeader("X-Twice", "a").addHeader("x-twice", "b").addHeader("quote", "say \"hi\"\n");
    Object[] bodies = {new JsonObject().put("n", 1).put("nested", new JsonObject().put("s", "é\u2028")),
      new JsonArray().add(1).add("two").addNull(), "plain \"text\"", 42, 1.5, true, Buffer.buffer("raw")};
    for (Object body : bodies) {
      for (DeliveryOptions options : new DeliveryOptions[] {new DeliveryOptions(), headers}) {
        Message<Object> m = received(body, options);
        JsonObject fast = new JsonObject(FanOut.envelope("a.b", m));
        assertThat(fast).isEqualTo(FanOut.envelopeObject("a.b", m));
      }
    }
    JsonObject withHeaders = new JsonObject(FanOut.envelope("a.b", received("x", headers)));
    assertThat(withHeaders.getJsonObject("headers").getValue("X-Twice")).isEqualTo(new JsonArray().add("a").add("b"));
    assertThat(withHeaders.getJsonObject("headers").getString("quote")).isEqualTo("say \"hi\"\n");
  }

  /** The frame written in place carries the same envelope, under the header Netty's encoder would write. */
  @Test
  void theFrameWrittenInPlaceIsTheEnvelopeUnderItsWebSocketHeader() throws Exception {
    DeliveryOptions headers = new DeliveryOptions().addHeader("ce-id", "1").addHeader("X-Twice", "a").addHeader("x-twice", "b");
    // Payloads under 126 bytes, up to 65,535 and past it: the three header lengths.
    Object[] bodies = {1, new JsonObject().put("s", "x".repeat(200)), new JsonObject().put("s", "é".repeat(40_000)),
      Buffer.buffer("raw")};
    for (Object body : bodies) {
      for (DeliveryOptions options : new DeliveryOptions[] {new DeliveryOptions(), headers}) {
        Message<Object> m = received(body, options);
        Buffer envelope = FanOut.envelope("a.b", m);
        SharedFrame frame = FanOut.frame("a.b", m);
        try {
          assertThat(frame.length()).isEqualTo(envelope.length());
          ByteBuf expected = SharedFrame.encode(envelope, ByteBufAllocator.DEFAULT);
          try {
            assertThat(ByteBufUtil.equals(frame.wire(), expected)).as("wire of %s", body.getClass()).isTrue();
          } finally {
            expected.release();
          }
          assertThat(frame.payload()).isEqualTo(envelope);
        } finally {
          frame.release();
        }
      }
    }
  }

  @Test
  void keepsTheReplyAddressOfARequest() throws Exception {
    CompletableFuture<Message<Object>> got = new CompletableFuture<>();
    vertx.eventBus().consumer("fanout.envelope.request", got::complete);
    vertx.eventBus().request("fanout.envelope.request", new JsonObject().put("q", 1));
    Message<Object> m = got.get(10, TimeUnit.SECONDS);
    JsonObject fast = new JsonObject(FanOut.envelope("fanout.envelope.request", m));
    assertThat(fast.getString("replyAddress")).isNotBlank().isEqualTo(m.replyAddress());
    assertThat(fast).isEqualTo(FanOut.envelopeObject("fanout.envelope.request", m));
  }

  private static Message<Object> received(Object body, DeliveryOptions options) throws Exception {
    CompletableFuture<Message<Object>> got = new CompletableFuture<>();
    var consumer = vertx.eventBus().consumer("fanout.envelope", got::complete);
    consumer.completion().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.eventBus().send("fanout.envelope", body, options);
    try {
      return got.get(10, TimeUnit.SECONDS);
    } finally {
      consumer.unregister();
    }
  }
}
