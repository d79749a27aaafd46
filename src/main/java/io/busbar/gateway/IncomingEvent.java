package io.busbar.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import io.busbar.Addresses;
import io.busbar.ApiError;
import io.cloudevents.CloudEvent;
import io.cloudevents.http.HttpMessageFactory;
import io.vertx.core.MultiMap;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.DatabindCodec;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * An event as it arrives over HTTP, ready for the bus: its id, its JSON data as the body, and its
 * CloudEvents attributes as {@code ce-*} headers. Three shapes are accepted: plain JSON
 * ({@code application/json}; attributes are generated), CloudEvents binary mode ({@code ce-*} headers)
 * and structured mode ({@code application/cloudevents+json}); the CloudEvents SDK parses the last two.
 * Bad input becomes a {@link Rejected} carrying the HTTP error to answer. The headers are a case-insensitive
 * {@link MultiMap}, in order, that becomes the bus message's own headers as it is: a map copied into
 * the delivery options cost each event a second set of entries (bench B2's allocation profile).
 */
public record IncomingEvent(String id, Object body, MultiMap headers) {
  public static final String STRUCTURED = "application/cloudevents+json";
  static final String DEFAULT_SOURCE = "/busbar/http";
  static final String DEFAULT_TYPE = "io.busbar.event";
  /**
   * Vert.x's own JSON factory (what {@code Json.decodeValue} parses with), read here straight from the
   * bytes into {@code JsonObject}/{@code JsonArray} by Vert.x's streaming decoder: the databind path
   * wrapped the bytes in a buffer and a stream and went through the object mapper (bench B1).
   */
  private static final JsonFactory JSON = DatabindCodec.mapper().getFactory();

  /** Bad input, with the error to send back. */
  public static final class Rejected extends RuntimeException {
    public final transient ApiError error;

    Rejected(int status, String code, String message) {
      super(message, null, false, false);
      this.error = new ApiError(status, code, message);
    }
  }

  /**
   * @param httpHeaders request headers, names in lower case
   * @param newId makes an id when the request carries none
   */
  public static IncomingEvent read(Map<String, String> httpHeaders, byte[] body, Supplier<String> newId) {
    return read(httpHeaders::get, () -> httpHeaders, body, newId);
  }

  /**
   * The same, with the request's headers looked up one by one ({@code header} answers a lower-case name,
   * null if absent) and all of them copied into a map ({@code allHeaders}) only for a binary-mode event,
   * the one shape that keeps them: a plain JSON event reads three (bench B1: the copy of every header,
   * each lower-cased, for each request).
   */
  public static IncomingEvent read(UnaryOperator<String> header, Supplier<Map<String, String>> allHeaders, byte[] body,
                                   Supplier<String> newId) {
    String mediaType = mediaType(header.apply("content-type"));
    if (STRUCTURED.equals(mediaType)) {
      return structured(body, newId);
    }
    if (header.apply(Addresses.HEADER_SPECVERSION) != null) {
      return binary(allHeaders.get(), body, newId);
    }
    requireJson(mediaType, "content-type");
    String given = header.apply(Addresses.HEADER_ID);
    String id = given != null ? given : newId.get();
    Object data = parseJson(body);
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
      .add(Addresses.HEADER_ID, id)
      .add(Addresses.HEADER_SPECVERSION, "1.0")
      .add(Addresses.HEADER_SOURCE, DEFAULT_SOURCE)
      .add(Addresses.HEADER_TYPE, DEFAULT_TYPE)
      .add(Addresses.HEADER_TIME, EventTime.now())
      .add(Addresses.HEADER_CONTENT_TYPE, "application/json");
    return new IncomingEvent(id, data, headers);
  }

  private static IncomingEvent binary(Map<String, String> httpHeaders, byte[] body, Supplier<String> newId) {
    requireJson(mediaType(httpHeaders.get("content-type")), "content-type of a binary-mode CloudEvent");
    Map<String, String> withId = new LinkedHashMap<>(httpHeaders);
    withId.putIfAbsent(Addresses.HEADER_ID, newId.get());
    for (String required : new String[] {Addresses.HEADER_SOURCE, Addresses.HEADER_TYPE}) {
      if (!withId.containsKey(required)) {
        throw new Rejected(400, "invalid_cloudevent", "binary-mode CloudEvent without the " + required + " header");
      }
    }
    return fromCloudEvent(toEvent(withId, body));
  }

  private static IncomingEvent structured(byte[] body, Supplier<String> newId) {
    Object parsed = parseJson(body);
    if (!(parsed instanceof JsonObject event)) {
      throw new Rejected(400, "invalid_cloudevent", "a structured CloudEvent must be a JSON object");
    }
    if (!event.containsKey("id")) {
      event.put("id", newId.get());
    }
    for (String required : new String[] {"specversion", "source", "type"}) {
      if (!(event.getValue(required) instanceof String)) {
        throw new Rejected(400, "invalid_cloudevent", "structured CloudEvent without the string attribute '" + required + "'");
      }
    }
    return fromCloudEvent(toEvent(Map.of("content-type", STRUCTURED), event.toBuffer().getBytes()));
  }

  private static CloudEvent toEvent(Map<String, String> headers, byte[] body) {
    try {
      return HttpMessageFactory.createReader(headers, body).toEvent();
    } catch (RuntimeException e) {
      throw new Rejected(400, "invalid_cloudevent",
        "not a valid CloudEvent: check specversion (1.0), id, source (a URI reference), type and time (RFC 3339)");
    }
  }

  private static IncomingEvent fromCloudEvent(CloudEvent event) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    headers.set(Addresses.HEADER_ID, event.getId());
    headers.set(Addresses.HEADER_SPECVERSION, event.getSpecVersion().toString());
    headers.set(Addresses.HEADER_SOURCE, event.getSource().toString());
    headers.set(Addresses.HEADER_TYPE, event.getType());
    if (event.getTime() != null) {
      headers.set(Addresses.HEADER_TIME, event.getTime().toString());
    }
    if (event.getSubject() != null) {
      headers.set("ce-subject", event.getSubject());
    }
    if (event.getDataSchema() != null) {
      headers.set("ce-dataschema", event.getDataSchema().toString());
    }
    for (String name : event.getExtensionNames()) {
      headers.set("ce-" + name, String.valueOf(event.getExtension(name)));
    }
    String contentType = event.getDataContentType() == null ? "application/json" : event.getDataContentType();
    headers.set(Addresses.HEADER_CONTENT_TYPE, contentType);
    Object data = null;
    if (event.getData() != null) {
      requireJson(mediaType(contentType), "datacontenttype");
      data = parseJson(event.getData().toBytes());
    }
    return new IncomingEvent(event.getId(), data, headers);
  }

  static String mediaType(String contentType) {
    if (contentType == null) {
      return null;
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  private static void requireJson(String mediaType, String what) {
    if (mediaType == null || !(mediaType.equals("application/json") || mediaType.endsWith("+json"))) {
      throw new Rejected(415, "unsupported_media_type",
        what + " must be application/json (or application/cloudevents+json), got " + (mediaType == null ? "none" : "'" + mediaType + "'"));
    }
  }

  /** A JSON value the event bus can carry: object, array, string, boolean, null or a 64-bit number. */
  static Object parseJson(byte[] body) {
    if (body.length == 0) {
      throw new Rejected(400, "invalid_json", "the body is empty; send a JSON value");
    }
    Object value;
    try {
      value = JacksonCodec.fromParser(JSON.createParser(body), Object.class);
    } catch (DecodeException | IOException e) {
      throw new Rejected(400, "invalid_json", "the body is not valid JSON");
    }
    if (value instanceof Number n && !(n instanceof Integer || n instanceof Long || n instanceof Double)) {
      throw new Rejected(400, "invalid_json", "a top-level number must fit in 64 bits; wrap it in an object");
    }
    return value;
  }
}
