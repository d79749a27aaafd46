package io.busbar.gateway.security;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EncodedFramesTest {
  private static JsonObject envelope(Object body) {
    return new JsonObject().put("type", "rec").put("address", "news.sport").put("body", body)
      .put("headers", new JsonObject().put("ce-id", "42").put("ce-type", "io.busbar.event"));
  }

  @Test
  void anEqualEnvelopeSharesTheFrameOfThePreviousOne() {
    JsonObject first = envelope(new JsonObject().put("n", 1).put("tags", new JsonArray().add("a").add(2.5)));
    JsonObject copy = first.copy();
    Buffer a = EncodedFrames.encode(first);
    Buffer b = EncodedFrames.encode(copy);
    assertThat(b).isSameAs(a);
    assertThat(b.toString()).isEqualTo(copy.encode());
  }

  @Test
  void everyOtherEnvelopeIsEncodedAsItIs() {
    List<JsonObject> envelopes = List.of(
      envelope(new JsonObject().put("n", 1)),
      envelope(new JsonObject().put("n", 1L)),
      envelope(new JsonObject().put("n", 1.0)),
      envelope(new JsonObject().put("n", "1")),
      envelope(new JsonObject().put("m", 1)),
      envelope(new JsonObject().put("n", 1).put("o", 2)),
      envelope(new JsonObject().put("o", 2).put("n", 1)),
      envelope(new JsonArray().add(1).add(2)),
      envelope(new JsonArray().add(2).add(1)),
      envelope(null),
      envelope("text"),
      envelope(Buffer.buffer("bytes")),
      envelope(new JsonObject().put("n", 1)).put("replyAddress", "6a1f"),
      envelope(new JsonObject().put("n", 1)).put("address", "news.weather"));
    for (JsonObject e : envelopes) {
      for (JsonObject f : envelopes) {
        EncodedFrames.encode(e);
        assertThat(EncodedFrames.encode(f).toString()).as("%s after %s", f, e).isEqualTo(f.encode());
      }
    }
  }

  @Test
  void sameIsStrictAboutOrderAndTypes() {
    assertThat(EncodedFrames.same(new JsonObject().put("a", 1).put("b", 2), new JsonObject().put("b", 2).put("a", 1))).isFalse();
    assertThat(EncodedFrames.same(1, 1L)).isFalse();
    assertThat(EncodedFrames.same(new byte[] {1}, new byte[] {1})).isFalse();
    assertThat(EncodedFrames.same(new JsonArray().add("x").addNull(), new JsonArray().add("x").addNull())).isTrue();
  }
}
