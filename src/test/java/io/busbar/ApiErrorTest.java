package io.busbar;

import io.vertx.core.VertxException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one mapping from event-bus failures to HTTP errors. */
class ApiErrorTest {
  /** Text that must never reach an HTTP client: it stands for internals (hosts, reply addresses, stack text). */
  private static final String INTERNAL = "__vertx.reply.42 at 10.1.2.3 NullPointerException";

  @Test
  void noHandlersIs503() {
    ApiError e = ApiError.fromEventBus(new ReplyException(ReplyFailure.NO_HANDLERS, INTERNAL), "svc.x");

    assertThat(e.status()).isEqualTo(503);
    assertThat(e.code()).isEqualTo("no_handlers");
    assertThat(e.message()).contains("svc.x").doesNotContain(INTERNAL);
  }

  @Test
  void timeoutIs504() {
    ApiError e = ApiError.fromEventBus(new ReplyException(ReplyFailure.TIMEOUT, INTERNAL), "svc.x");

    assertThat(e.status()).isEqualTo(504);
    assertThat(e.code()).isEqualTo("timeout");
    assertThat(e.message()).contains("svc.x").doesNotContain(INTERNAL);
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 409, 422, 500, 599})
  void recipientFailureWithAnHttpErrorCodeKeepsIt(int code) {
    ApiError e = ApiError.fromEventBus(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, "order already exists"), "svc.x");

    assertThat(e.status()).isEqualTo(code);
    assertThat(e.code()).isEqualTo("recipient_failure");
    // The message is the one the consumer chose to fail with: it is meant for the client.
    assertThat(e.message()).isEqualTo("order already exists");
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 42, 200, 302, 399, 600, 1000})
  void recipientFailureWithAnyOtherCodeIs502(int code) {
    ApiError e = ApiError.fromEventBus(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, "nope"), "svc.x");

    assertThat(e.status()).isEqualTo(502);
    assertThat(e.code()).isEqualTo("recipient_failure");
  }

  @Test
  void recipientFailureWithoutMessageGetsOneNamingTheAddress() {
    ApiError e = ApiError.fromEventBus(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 409, null), "svc.x");

    assertThat(e.status()).isEqualTo(409);
    assertThat(e.message()).isNotBlank().contains("svc.x");
  }

  @Test
  void anyOtherFailureIs500WithoutItsText() {
    for (Throwable failure : new Throwable[] {
      new ReplyException(ReplyFailure.ERROR, INTERNAL),
      new VertxException(INTERNAL),
      new IllegalStateException(INTERNAL),
      new NullPointerException()}) {
      ApiError e = ApiError.fromEventBus(failure, "svc.x");

      assertThat(e.status()).as("%s", failure).isEqualTo(500);
      assertThat(e.code()).isEqualTo("internal_error");
      assertThat(e.message()).doesNotContain(INTERNAL).doesNotContain("Exception");
    }
  }

  @Test
  void jsonHasExactlyErrorAndMessage() {
    JsonObject json = new ApiError(404, "not_found", "no route").toJson();

    assertThat(json).isEqualTo(new JsonObject().put("error", "not_found").put("message", "no route"));
  }
}
