package io.busbar;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * An HTTP error as Busbar answers it: a status, a stable machine-readable {@code error} code and a
 * message for humans. This is the one place where event-bus failures become HTTP statuses; the message
 * never carries exception text.
 */
public record ApiError(int status, String code, String message) {

  public JsonObject toJson() {
    return new JsonObject().put("error", code).put("message", message);
  }

  /**
   * Maps a failed event-bus request: no handlers 503, timeout 504, a recipient failure keeps its code
   * when it is an HTTP error status (4xx/5xx) and becomes 502 otherwise, anything else 500.
   */
  public static ApiError fromEventBus(Throwable failure, String address) {
    if (failure instanceof ReplyException re) {
      switch (re.failureType()) {
        case NO_HANDLERS:
          return new ApiError(503, "no_handlers", "no consumer is registered for address '" + address + "'");
        case TIMEOUT:
          return new ApiError(504, "timeout", "no reply from address '" + address + "' before the timeout");
        case RECIPIENT_FAILURE:
          int code = re.failureCode();
          String why = re.getMessage() == null || re.getMessage().isBlank()
            ? "the consumer of '" + address + "' failed the request" : re.getMessage();
          return code >= 400 && code <= 599
            ? new ApiError(code, "recipient_failure", why)
            : new ApiError(502, "recipient_failure", why);
        default:
          break;
      }
    }
    return internal();
  }

  public static ApiError internal() {
    return new ApiError(500, "internal_error", "the node failed to handle the request; see its log");
  }
}
