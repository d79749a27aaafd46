package io.busbar.gateway.security;

import io.busbar.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The permission model on its own: grants, templates, roles, claims, and the defaults with auth off. */
class AccessPolicyTest {
  private static final Identity ALICE = new Identity("alice", Set.of("user"), new JsonObject().put("sub", "alice").put("tenant", "acme"), Long.MAX_VALUE);
  private static final Identity OPS = new Identity("olga", Set.of("ops"), new JsonObject().put("sub", "olga"), Long.MAX_VALUE);
  private static final Identity DOTTED = new Identity("a.b", Set.of(), new JsonObject().put("sub", "a.b"), Long.MAX_VALUE);

  private static AccessPolicy policy(boolean auth, JsonArray rules) {
    JsonObject gateway = ConfigLoader.defaults().getJsonObject("gateway");
    gateway.getJsonObject("auth").put("enabled", auth).put("rules", rules);
    return new AccessPolicy(gateway);
  }

  private static JsonObject rule(String who, String target, String value, String... actions) {
    return new JsonObject().put("who", who).put("actions", new JsonArray(java.util.List.of((Object[]) actions))).put(target, value);
  }

  @Test
  void withAuthOffAnonymousCallersKeepTheFoundationPermissions() {
    AccessPolicy p = policy(false, new JsonArray());
    assertThat(p.check(Identity.ANONYMOUS, Action.PUBLISH, "events.orders")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(Identity.ANONYMOUS, Action.REQUEST, "svc.echo")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(Identity.ANONYMOUS, Action.SUBSCRIBE, "busbar.nodes")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(Identity.ANONYMOUS, Action.SUBSCRIBE, "events.anything")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(Identity.ANONYMOUS, Action.PUBLISH, "busbar.nodes")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(Identity.ANONYMOUS, Action.SUBSCRIBE, "svc.echo")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(Identity.ANONYMOUS, Action.SEND, "__vertx.reply.1")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(Identity.ANONYMOUS, Action.ADMIN, "events.orders")).isEqualTo(Decision.FORBIDDEN);
  }

  @Test
  void withAuthOnTheListsNeedATokenAndAnonymousGetsOnlyPublicRules() {
    AccessPolicy p = policy(true, new JsonArray().add(rule("public", "address", "public.news", "subscribe")));
    assertThat(p.check(Identity.ANONYMOUS, Action.PUBLISH, "events.orders")).isEqualTo(Decision.UNAUTHENTICATED);
    assertThat(p.check(ALICE, Action.PUBLISH, "events.orders")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(Identity.ANONYMOUS, Action.SUBSCRIBE, "public.news")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(ALICE, Action.PUBLISH, "public.news")).isEqualTo(Decision.FORBIDDEN);
  }

  @Test
  void templatesAreFilledWithTheCallersClaimsAndComparedExactly() {
    AccessPolicy p = policy(true, new JsonArray()
      .add(rule("authenticated", "addressTemplate", "user.{sub}.inbox", "subscribe"))
      .add(rule("authenticated", "addressTemplate", "tenant.{tenant}.{sub}", "publish")));
    assertThat(p.check(ALICE, Action.SUBSCRIBE, "user.alice.inbox")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(ALICE, Action.SUBSCRIBE, "user.olga.inbox")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(ALICE, Action.SUBSCRIBE, "user.alice.inbox.x")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(ALICE, Action.PUBLISH, "user.alice.inbox")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(ALICE, Action.PUBLISH, "tenant.acme.alice")).isEqualTo(Decision.ALLOWED);
    // Olga has no tenant claim: the rule does not apply to her at all.
    assertThat(p.check(OPS, Action.PUBLISH, "tenant..olga")).isEqualTo(Decision.FORBIDDEN);
    // A subject with a dot could reach into other names: such claims never fill a template.
    assertThat(p.check(DOTTED, Action.SUBSCRIBE, "user.a.b.inbox")).isEqualTo(Decision.FORBIDDEN);
  }

  @Test
  void rolesClaimsDeliverAndAdmin() {
    AccessPolicy p = policy(true, new JsonArray()
      .add(rule("role:ops", "addressRegex", "ops\\.[a-z]+", "send", "admin"))
      .add(rule("claim:tenant=acme", "address", "acme.feed", "subscribe")));
    assertThat(p.check(OPS, Action.SEND, "ops.restart")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(OPS, Action.DELIVER, "ops.restart")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(OPS, Action.ADMIN, "ops.dlq")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(ALICE, Action.DELIVER, "ops.restart")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(ALICE, Action.ADMIN, "ops.dlq")).isEqualTo(Decision.FORBIDDEN);
    assertThat(p.check(ALICE, Action.DELIVER, "events.orders")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(ALICE, Action.SUBSCRIBE, "acme.feed")).isEqualTo(Decision.ALLOWED);
    assertThat(p.check(OPS, Action.SUBSCRIBE, "acme.feed")).isEqualTo(Decision.FORBIDDEN);
  }

  @Test
  void badAddressesAreRefusedBeforeAnyRule() {
    AccessPolicy p = policy(false, new JsonArray().add(rule("public", "addressRegex", ".*", "publish")));
    assertThat(p.check(ALICE, Action.PUBLISH, "")).isEqualTo(Decision.ADDRESS_INVALID);
    assertThat(p.check(ALICE, Action.PUBLISH, null)).isEqualTo(Decision.ADDRESS_INVALID);
    assertThat(p.check(ALICE, Action.PUBLISH, "a\u0000b")).isEqualTo(Decision.ADDRESS_INVALID);
    assertThat(p.check(ALICE, Action.PUBLISH, "a".repeat(257))).isEqualTo(Decision.ADDRESS_TOO_LONG);
    assertThat(p.check(ALICE, Action.PUBLISH, "a".repeat(256))).isEqualTo(Decision.ALLOWED);
  }

  @Test
  void trustedHeadersReplaceTheReservedPrefix() {
    TrustedHeaders h = new TrustedHeaders("busbar-");
    java.util.Map<String, String> headers = new java.util.HashMap<>(java.util.Map.of("Busbar-Auth-Sub", "root", "busbar-x", "1",
      "Authorization", "Bearer t", "ce-id", "7"));
    h.apply(headers, ALICE, v -> v);
    assertThat(headers).containsOnly(java.util.Map.entry("ce-id", "7"), java.util.Map.entry("busbar-auth-sub", "alice"),
      java.util.Map.entry("busbar-auth-roles", "user"));
  }

  @Test
  void rateLimiterRefusesOverTheRateAndSaysHowLongToWait() {
    long[] now = {0};
    RateLimiter limiter = new RateLimiter(10, () -> now[0]);
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.tryAcquire("k")).isZero();
    }
    assertThat(limiter.tryAcquire("k")).isEqualTo(100);
    now[0] += 100;
    assertThat(limiter.tryAcquire("k")).isZero();
    assertThat(limiter.tryAcquire("other")).isZero();
    now[0] += 120_000;
    limiter.sweep(60_000);
    assertThat(limiter.size()).isZero();
  }
}
