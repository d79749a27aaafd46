package io.busbar.consumer;

import java.util.function.DoubleSupplier;

/**
 * When to try a webhook again: exponential backoff with "equal jitter" (half of the step is fixed,
 * half random), so that a crowd of retries spreads out but no retry comes back at once. A
 * {@code Retry-After} from the endpoint wins over the computed delay, capped at the maximum.
 * Pure logic, so it is unit-tested without Vert.x.
 */
public record RetryPolicy(int maxAttempts, long initialBackoffMs, long maxBackoffMs) {

  /** Delay before attempt {@code attempt + 1}, after {@code attempt} (1-based) failed. */
  public long delayMs(int attempt, long retryAfterMs, DoubleSupplier random) {
    if (retryAfterMs > 0) {
      return Math.min(retryAfterMs, maxBackoffMs);
    }
    int doublings = Math.min(attempt - 1, 30);
    long step = Math.min(maxBackoffMs, initialBackoffMs << doublings);
    long half = step / 2;
    return half + (long) (random.getAsDouble() * (step - half));
  }

  /** Whether another attempt is allowed after {@code attempt} attempts. */
  public boolean allowsAnother(int attempt) {
    return attempt < maxAttempts;
  }

  /**
   * Whether an HTTP status is worth retrying: server errors, 408 (timeout), 425 and 429 (come back
   * later). Any other 4xx says the request itself is wrong, and sending it again cannot help.
   */
  public static boolean retryable(int status) {
    return status >= 500 || status == 408 || status == 425 || status == 429;
  }

  /** {@code Retry-After} in whole seconds, as milliseconds; 0 when absent or an HTTP date (not honoured). */
  public static long retryAfterMs(String header) {
    if (header == null) {
      return 0;
    }
    try {
      long seconds = Long.parseLong(header.trim());
      return seconds > 0 ? Math.min(seconds, 3600) * 1000 : 0;
    } catch (NumberFormatException httpDate) {
      return 0;
    }
  }
}
