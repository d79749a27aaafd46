package io.busbar.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookEndpointsTest {

  private static JsonObject withWebhook(Consumer<JsonObject> adjust) {
    JsonObject config = ConfigLoader.defaults();
    JsonObject webhook = config.getJsonObject("consumer").getJsonObject("webhook").put("enabled", true)
      .put("endpoints", new JsonArray().add(new JsonObject().put("name", "orders")
        .put("url", "https://hooks.example.com/orders").put("addresses", new JsonArray().add("events.orders"))));
    adjust.accept(webhook);
    return config;
  }

  private static JsonObject endpoint(JsonObject webhook) {
    return webhook.getJsonArray("endpoints").getJsonObject(0);
  }

  @Test
  void aMinimalEndpointIsValid() {
    ConfigValidator.validate(withWebhook(w -> { }));
    assertThat(ConfigLoader.defaults().getJsonObject("consumer").getJsonObject("webhook").getBoolean("enabled")).isFalse();
  }

  @Test
  void problemsNameTheEndpointAndTheField() {
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> endpoint(w).put("url", "ftp://x"))))
      .hasMessageContaining("consumer.webhook.endpoints").hasMessageContaining("endpoint 0 (orders): url must be an absolute http");
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> endpoint(w).put("maxAttempts", 0))))
      .hasMessageContaining("endpoint 0 (orders): maxAttempts must be a whole number from 1");
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> endpoint(w).put("retries", 3))))
      .hasMessageContaining("unknown field 'retries'");
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> endpoint(w).remove("addresses"))))
      .hasMessageContaining("addresses is missing");
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> endpoint(w).put("initialBackoffMs", 5000).put("maxBackoffMs", 100))))
      .hasMessageContaining("initialBackoffMs is above maxBackoffMs");
  }

  @Test
  void enablingTheForwarderWithoutEndpointsIsAnError() {
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> w.put("endpoints", new JsonArray()))))
      .hasMessageContaining("consumer.webhook.endpoints: must list at least one endpoint");
  }

  @Test
  void endpointNamesMustBeDistinct() {
    assertThatThrownBy(() -> ConfigValidator.validate(withWebhook(w -> w.getJsonArray("endpoints").add(endpoint(w).copy()))))
      .hasMessageContaining("same name");
  }
}
