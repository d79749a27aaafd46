package io.busbar.gateway.security;

import io.busbar.ApiError;

/**
 * The answer of {@link AccessPolicy#check}. Each refusal carries the HTTP status and the stable error
 * code the gateway answers with (SockJS sends the same code in an {@code err} frame, except that a
 * refused address is {@code access_denied} there, as the Vert.x bridge client expects).
 */
public enum Decision {
  ALLOWED(200, null),
  /** Nothing grants it to an anonymous caller while authentication is on: a token might help. */
  UNAUTHENTICATED(401, "unauthenticated"),
  FORBIDDEN(403, "address_not_permitted"),
  ADDRESS_TOO_LONG(400, "address_too_long"),
  ADDRESS_INVALID(400, "invalid_address");

  public final int status;
  public final String code;

  Decision(int status, String code) {
    this.status = status;
    this.code = code;
  }

  public boolean allowed() {
    return this == ALLOWED;
  }

  /** The HTTP error for a refusal; {@code shownAddress} is already abbreviated. */
  public ApiError toApiError(Action action, String shownAddress, int maxLength) {
    return switch (this) {
      case UNAUTHENTICATED -> new ApiError(status, code, "a valid bearer token is required to " + action.label() + " on '" + shownAddress + "'");
      case FORBIDDEN -> new ApiError(status, code, "address '" + shownAddress + "' is not permitted to " + action.label()
        + " (gateway.inbound, gateway.outbound, gateway.auth.rules)");
      case ADDRESS_TOO_LONG -> new ApiError(status, code, "the address is longer than gateway.limits.maxAddressLength (" + maxLength + ")");
      case ADDRESS_INVALID -> new ApiError(status, code, "the address is empty or contains control characters");
      default -> throw new IllegalStateException("not a refusal");
    };
  }
}
