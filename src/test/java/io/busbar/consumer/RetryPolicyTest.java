package io.busbar.consumer;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RetryPolicyTest {
  private final RetryPolicy policy = new RetryPolicy(5, 100, 1_000);

  @Test
  void backoffDoublesWithJitterInTheUpperHalfOfEachStep() {
    assertThat(policy.delayMs(1, 0, () -> 0.0)).isEqualTo(50);
    assertThat(policy.delayMs(1, 0, () -> 0.999)).isBetween(99L, 100L);
    assertThat(policy.delayMs(2, 0, () -> 0.0)).isEqualTo(100);
    assertThat(policy.delayMs(3, 0, () -> 0.0)).isEqualTo(200);
  }

  @Test
  void backoffIsCappedEvenAfterManyAttempts() {
    assertThat(policy.delayMs(4, 0, () -> 0.999)).isLessThanOrEqualTo(1_000);
    assertThat(policy.delayMs(60, 0, () -> 0.999)).isLessThanOrEqualTo(1_000).isGreaterThanOrEqualTo(500);
  }

  @Test
  void retryAfterWinsButIsCapped() {
    assertThat(policy.delayMs(1, 700, () -> 0.0)).isEqualTo(700);
    assertThat(policy.delayMs(1, 60_000, () -> 0.0)).isEqualTo(1_000);
    assertThat(RetryPolicy.retryAfterMs("2")).isEqualTo(2_000);
    assertThat(RetryPolicy.retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT")).isZero();
    assertThat(RetryPolicy.retryAfterMs(null)).isZero();
    assertThat(RetryPolicy.retryAfterMs("-3")).isZero();
  }

  @Test
  void onlyServerErrorsAndComeBackLaterStatusesAreRetried() {
    assertThat(RetryPolicy.retryable(500)).isTrue();
    assertThat(RetryPolicy.retryable(503)).isTrue();
    assertThat(RetryPolicy.retryable(429)).isTrue();
    assertThat(RetryPolicy.retryable(408)).isTrue();
    assertThat(RetryPolicy.retryable(400)).isFalse();
    assertThat(RetryPolicy.retryable(404)).isFalse();
    assertThat(RetryPolicy.retryable(410)).isFalse();
  }

  @Test
  void attemptsStopAtTheMaximum() {
    assertThat(policy.allowsAnother(4)).isTrue();
    assertThat(policy.allowsAnother(5)).isFalse();
  }
}
