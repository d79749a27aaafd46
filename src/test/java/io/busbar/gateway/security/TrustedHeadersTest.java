package io.busbar.gateway.security;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

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

  /** An event's bus headers: what a client sent under the prefix is gone, every value of it, and the identity's are set. */
  @Test
  void busHeadersLoseReservedNamesAndGetTheCallersIdentity() {
    TrustedHeaders trusted = new TrustedHeaders("busbar-");
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("ce-id", "1").add("Busbar-Auth-Sub", "forged")
      .add("busbar-x", "a").add("BUSBAR-X", "b").add("Authorization", "Bearer t").add("x-kept", "k");
    trusted.apply(headers, new Identity("alice", Set.of("ops", "admin"), new JsonObject(), 0));
    assertThat(headers.entries()).extracting(e -> e.getKey() + "=" + e.getValue())
      .containsExactly("ce-id=1", "x-kept=k", "busbar-auth-sub=alice", "busbar-auth-roles=admin,ops");

    MultiMap anonymous = MultiMap.caseInsensitiveMultiMap().add("ce-id", "1").add("busbar-auth-roles", "forged");
    trusted.apply(anonymous, Identity.ANONYMOUS);
    assertThat(anonymous.entries()).extracting(e -> e.getKey() + "=" + e.getValue()).containsExactly("ce-id=1");
  }
}
