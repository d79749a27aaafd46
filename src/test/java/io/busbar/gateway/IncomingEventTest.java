package io.busbar.gateway;

import io.busbar.ApiError;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Plain JSON, CloudEvents binary mode and structured mode, and how bad input is answered. */
class IncomingEventTest {
  private static final Supplier<String> NEW_ID = () -> "generated-1";

  /** The event's bus headers as a map, checking that each name has one value. */
  private static Map<String, String> busHeaders(IncomingEvent event) {
    Map<String, String> map = new LinkedHashMap<>();
    event.headers().forEach((name, value) -> assertThat(map.put(name, value)).as("a second %s", name).isNull());
    return map;
  }

  @Test
  void plainJsonGetsAGeneratedIdAndDefaultAttributes() {
    IncomingEvent event = IncomingEvent.read(headers("content-type", "application/json"), bytes("{\"orderId\":7}"), NEW_ID);

    assertThat(event.id()).isEqualTo("generated-1");
    assertThat(event.body()).isEqualTo(new JsonObject().put("orderId", 7));
    assertThat(busHeaders(event))
      .containsEntry("ce-id", "generated-1")
      .containsEntry("ce-specversion", "1.0")
      .containsEntry("ce-source", "/busbar/http")
      .containsEntry("ce-type", "io.busbar.event")
      .containsEntry("content-type", "application/json");
    assertThatCode(() -> OffsetDateTime.parse(event.headers().get("ce-time"))).doesNotThrowAnyException();
  }

  @Test
  void plainJsonHonoursCeIdHeader() {
    IncomingEvent event = IncomingEvent.read(headers("content-type", "application/json; charset=utf-8", "ce-id", "client-42"),
      bytes("[1,2]"), NEW_ID);

    assertThat(event.id()).isEqualTo("client-42");
    assertThat(busHeaders(event)).containsEntry("ce-id", "client-42");
    assertThat(event.body()).isEqualTo(new JsonArray().add(1).add(2));
  }

  @Test
  void plainJsonAcceptsAnyJsonValue() {
    assertThat(IncomingEvent.read(headers("content-type", "application/json"), bytes("\"hi\""), NEW_ID).body()).isEqualTo("hi");
    assertThat(IncomingEvent.read(headers("content-type", "application/json"), bytes("true"), NEW_ID).body()).isEqualTo(true);
    assertThat(IncomingEvent.read(headers("content-type", "application/json"), bytes("null"), NEW_ID).body()).isNull();
  }

  @Test
  void binaryModeTakesAttributesAndExtensionsFromCeHeaders() {
    IncomingEvent event = IncomingEvent.read(headers(
        "content-type", "application/json",
        "ce-specversion", "1.0",
        "ce-id", "evt-1",
        "ce-source", "/orders/shop",
        "ce-type", "com.example.order.created",
        "ce-time", "2024-05-01T10:00:00Z",
        "ce-subject", "order-7",
        "ce-tenant", "acme"),
      bytes("{\"orderId\":7}"), NEW_ID);

    assertThat(event.id()).isEqualTo("evt-1");
    assertThat(event.body()).isEqualTo(new JsonObject().put("orderId", 7));
    assertThat(busHeaders(event))
      .containsEntry("ce-id", "evt-1")
      .containsEntry("ce-specversion", "1.0")
      .containsEntry("ce-source", "/orders/shop")
      .containsEntry("ce-type", "com.example.order.created")
      .containsEntry("ce-subject", "order-7")
      .containsEntry("ce-tenant", "acme")
      .containsEntry("content-type", "application/json");
    assertThat(OffsetDateTime.parse(event.headers().get("ce-time"))).isEqualTo(OffsetDateTime.parse("2024-05-01T10:00:00Z"));
  }

  @Test
  void binaryModeWithoutIdGetsOne() {
    IncomingEvent event = IncomingEvent.read(headers("content-type", "application/json", "ce-specversion", "1.0",
      "ce-source", "/s", "ce-type", "t"), bytes("{}"), NEW_ID);

    assertThat(event.id()).isEqualTo("generated-1");
    assertThat(busHeaders(event)).containsEntry("ce-id", "generated-1");
  }

  @Test
  void binaryModeWithoutSourceIsAnInvalidCloudEvent() {
    ApiError error = rejected(headers("content-type", "application/json", "ce-specversion", "1.0", "ce-id", "1", "ce-type", "t"),
      "{}");

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_cloudevent");
    assertThat(error.message()).contains("ce-source");
  }

  @Test
  void binaryModeWithAnInvalidAttributeIsAnInvalidCloudEvent() {
    ApiError error = rejected(headers("content-type", "application/json", "ce-specversion", "1.0", "ce-id", "1",
      "ce-source", "/s", "ce-type", "t", "ce-time", "yesterday"), "{}");

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_cloudevent");
  }

  @Test
  void binaryModeWithNonJsonContentTypeIs415() {
    ApiError error = rejected(headers("content-type", "text/plain", "ce-specversion", "1.0", "ce-id", "1",
      "ce-source", "/s", "ce-type", "t"), "hello");

    assertThat(error.status()).isEqualTo(415);
    assertThat(error.code()).isEqualTo("unsupported_media_type");
  }

  @Test
  void structuredModeCarriesDataAsTheBody() {
    JsonObject ce = new JsonObject()
      .put("specversion", "1.0").put("id", "evt-2").put("source", "/orders").put("type", "com.example.order.paid")
      .put("datacontenttype", "application/json").put("tenant", "acme")
      .put("data", new JsonObject().put("orderId", 8));

    IncomingEvent event = IncomingEvent.read(headers("content-type", "application/cloudevents+json; charset=UTF-8"),
      bytes(ce.encode()), NEW_ID);

    assertThat(event.id()).isEqualTo("evt-2");
    assertThat(event.body()).isEqualTo(new JsonObject().put("orderId", 8));
    assertThat(busHeaders(event))
      .containsEntry("ce-id", "evt-2")
      .containsEntry("ce-source", "/orders")
      .containsEntry("ce-type", "com.example.order.paid")
      .containsEntry("ce-specversion", "1.0")
      .containsEntry("ce-tenant", "acme")
      .containsEntry("content-type", "application/json");
  }

  @Test
  void structuredModeWithoutIdGetsOne() {
    JsonObject ce = new JsonObject().put("specversion", "1.0").put("source", "/s").put("type", "t")
      .put("data", new JsonObject().put("a", 1));

    IncomingEvent event = IncomingEvent.read(headers("content-type", "application/cloudevents+json"), bytes(ce.encode()), NEW_ID);

    assertThat(event.id()).isEqualTo("generated-1");
    assertThat(busHeaders(event)).containsEntry("ce-id", "generated-1");
    assertThat(event.body()).isEqualTo(new JsonObject().put("a", 1));
  }

  @Test
  void structuredModeWithoutTypeIsAnInvalidCloudEvent() {
    JsonObject ce = new JsonObject().put("specversion", "1.0").put("id", "1").put("source", "/s");

    ApiError error = rejected(headers("content-type", "application/cloudevents+json"), ce.encode());

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_cloudevent");
    assertThat(error.message()).contains("type");
  }

  @Test
  void structuredModeThatIsNotAnObjectIsAnInvalidCloudEvent() {
    ApiError error = rejected(headers("content-type", "application/cloudevents+json"), "[1]");

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_cloudevent");
  }

  @Test
  void structuredModeWithBase64DataOfANonJsonTypeIs415() {
    JsonObject ce = new JsonObject().put("specversion", "1.0").put("id", "1").put("source", "/s").put("type", "t")
      .put("datacontenttype", "text/plain").put("data_base64", "aGVsbG8=");

    ApiError error = rejected(headers("content-type", "application/cloudevents+json"), ce.encode());

    assertThat(error.status()).isEqualTo(415);
    assertThat(error.code()).isEqualTo("unsupported_media_type");
  }

  @Test
  void bodiesParseAsVertxJsonDoes() {
    List<String> bodies = List.of("{\"a\":1,\"b\":[1,2.5,-3,9223372036854775807,true,null,\"s\"],\"c\":{\"d\":{}}}", "[]", "[[],{}]",
      "\"caf\u00e9 \\u2028 \\ud83d\\ude00\"", "true", "false", "null", "0", "-1.5e300", "2147483648", "{\"a\":1,\"a\":2}",
      "/* a comment */ {\"x\":1}", " {\"k\": \"v\"}\n", "{\"big\":123456789012345678901234567890}", "1.0");
    for (String body : bodies) {
      Object expected = Json.decodeValue(body);
      assertThat(IncomingEvent.parseJson(body.getBytes(StandardCharsets.UTF_8))).as(body).isEqualTo(expected);
    }
    for (String bad : List.of("{", "{} {}", "[1,]", "{\"a\" 1}", "\"\\x\"", "nul", "[".repeat(5000), "\u0000")) {
      assertThat(catchThrowableOfType(IncomingEvent.Rejected.class, () -> IncomingEvent.parseJson(bad.getBytes(StandardCharsets.UTF_8))).error.code())
        .as(bad).isEqualTo("invalid_json");
    }
  }

  @Test
  void invalidJsonIs400() {
    ApiError error = rejected(headers("content-type", "application/json"), "{\"a\":");

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_json");
  }

  @Test
  void invalidJsonInStructuredModeIs400() {
    ApiError error = rejected(headers("content-type", "application/cloudevents+json"), "{not json");

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_json");
  }

  @Test
  void emptyBodyIs400() {
    ApiError error = rejected(headers("content-type", "application/json"), "");

    assertThat(error.status()).isEqualTo(400);
    assertThat(error.code()).isEqualTo("invalid_json");
  }

  @Test
  void missingOrOtherContentTypeIs415() {
    ApiError missing = rejected(headers(), "{}");
    ApiError text = rejected(headers("content-type", "text/plain"), "{}");

    assertThat(missing.status()).isEqualTo(415);
    assertThat(missing.code()).isEqualTo("unsupported_media_type");
    assertThat(text.status()).isEqualTo(415);
    assertThat(text.code()).isEqualTo("unsupported_media_type");
  }

  private static ApiError rejected(Map<String, String> headers, String body) {
    IncomingEvent.Rejected r = catchThrowableOfType(IncomingEvent.Rejected.class, () -> IncomingEvent.read(headers, bytes(body), NEW_ID));
    assertThat(r).as("rejected").isNotNull();
    return r.error;
  }

  private static Map<String, String> headers(String... nameValue) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < nameValue.length; i += 2) {
      map.put(nameValue[i], nameValue[i + 1]);
    }
    return map;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
