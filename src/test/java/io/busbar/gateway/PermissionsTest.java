package io.busbar.gateway;

import io.busbar.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.PermittedOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Exact and regex rules match whole addresses; the shipped defaults are tight and differ per direction. */
class PermissionsTest {
  private static final JsonObject GATEWAY = ConfigLoader.defaults().getJsonObject("gateway");
  private static final Permissions INBOUND = new Permissions(GATEWAY.getJsonArray("inbound"));
  private static final Permissions OUTBOUND = new Permissions(GATEWAY.getJsonArray("outbound"));

  @Test
  void exactRuleAllowsOnlyThatAddress() {
    Permissions p = new Permissions(new JsonArray().add(new JsonObject().put("address", "events.orders")));

    assertThat(p.allows("events.orders")).isTrue();
    assertThat(List.of("events.ordersX", "xevents.orders", "events.orders.eu", "events.order", "EVENTS.ORDERS", "events.orders ", ""))
      .allSatisfy(a -> assertThat(p.allows(a)).as(a).isFalse());
  }

  @Test
  void exactRuleIsNotARegex() {
    Permissions p = new Permissions(new JsonArray().add(new JsonObject().put("address", "svc.echo")));

    assertThat(p.allows("svc.echo")).isTrue();
    assertThat(p.allows("svcXecho")).isFalse();
  }

  @Test
  void rememberedRegexVerdictsStayRightPastTheBound() {
    Permissions p = new Permissions(new JsonArray().add(new JsonObject().put("addressRegex", "events\\.[0-9]+")));

    // Twice around more distinct addresses than are remembered: asked again, each gets the same answer.
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 3000; i++) {
        assertThat(p.allows("events." + i)).isTrue();
        assertThat(p.allows("events.x" + i)).isFalse();
      }
    }
  }

  @Test
  void regexRuleMustMatchTheWholeAddress() {
    Permissions p = new Permissions(new JsonArray().add(new JsonObject().put("addressRegex", "events\\.orders")));

    assertThat(p.allows("events.orders")).isTrue();
    assertThat(List.of("xevents.orders", "events.orders.x", "events.ordersX", "eventsXorders"))
      .allSatisfy(a -> assertThat(p.allows(a)).as(a).isFalse());
  }

  @Test
  void emptyRulesAllowNothing() {
    Permissions p = new Permissions(new JsonArray());

    assertThat(p.allows("events.orders")).isFalse();
    assertThat(p.bridgeOptions()).isEmpty();
  }

  @Test
  void defaultInboundAllowsEventsAndEcho() {
    assertThat(List.of("events.orders", "events.orders.eu", "events.a-b_c.9", "events.demo", "svc.echo"))
      .allSatisfy(a -> assertThat(INBOUND.allows(a)).as(a).isTrue());
  }

  @Test
  void defaultInboundDeniesNearMissesAndInternalAddresses() {
    assertThat(List.of("events.ordersX", "xevents.orders", "events.", "events..x", "events.orders.", "events", "Events.orders",
        "events.a b", "__vertx.reply.1", "busbar.nodes", "svc.echo2", "svc.other", "svc.echo.x", "secret.stuff", ""))
      .allSatisfy(a -> assertThat(INBOUND.allows(a)).as(a).isFalse());
  }

  @Test
  void defaultOutboundAllowsEventsAndNodeStatsOnly() {
    assertThat(List.of("events.orders", "events.orders.eu", "events.demo", "busbar.nodes"))
      .allSatisfy(a -> assertThat(OUTBOUND.allows(a)).as(a).isTrue());
    assertThat(List.of("svc.echo", "__vertx.reply.1", "xevents.orders", "events", "busbar.nodes.x", "secret.stuff"))
      .allSatisfy(a -> assertThat(OUTBOUND.allows(a)).as(a).isFalse());
  }

  @Test
  void defaultInboundAndOutboundAreNotTheSamePatterns() {
    JsonArray inbound = GATEWAY.getJsonArray("inbound");
    JsonArray outbound = GATEWAY.getJsonArray("outbound");

    assertThat(inbound).isNotEqualTo(outbound);
    // No single rule is shared: a browser must not be able to publish to what other browsers receive
    // just because one pattern was reused for both directions.
    assertThat(inbound.stream().filter(outbound::contains)).isEmpty();
    assertThat(INBOUND.allows("busbar.nodes")).isFalse();
    assertThat(OUTBOUND.allows("svc.echo")).isFalse();
  }

  @Test
  void bridgeOptionsCarryTheSameRules() {
    List<PermittedOptions> options = INBOUND.bridgeOptions();

    assertThat(options).hasSize(2);
    assertThat(options.get(0).getAddressRegex()).isEqualTo("events\\.[a-z0-9_-]+(\\.[a-z0-9_-]+)*");
    assertThat(options.get(0).getAddress()).isNull();
    assertThat(options.get(1).getAddress()).isEqualTo("svc.echo");
    assertThat(options.get(1).getAddressRegex()).isNull();
  }
}
