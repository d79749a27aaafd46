package io.busbar.gateway.security;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TrustedHeadersTest {
  @Test
  void theReservedPrefixAndAuthorizationAreMatchedInAnyCase() {
    TrustedHeaders headers = new TrustedHeaders("Busbar-");
    for (String name : List.of("busbar-auth-sub", "BUSBAR-AUTH-ROLES", "Busbar-x", "busbar-", "authorization", "Authorization", "AUTHORIZATION")) {
      assertThat(headers.reserved(name)).as(name).isTrue();
    }
    for (String name : List.of("busbar", "busbar_x", "x-busbar-auth-sub", "ce-id", "content-type", "authorization2", "authorizatio", "")) {
      assertThat(headers.reserved(name)).as(name).isFalse();
    }
    TrustedHeaders custom = new TrustedHeaders("x-trusted-");
    assertThat(custom.reserved("X-Trusted-Auth-Sub")).isTrue();
    assertThat(custom.reserved("busbar-auth-sub")).isFalse();
  }
}
