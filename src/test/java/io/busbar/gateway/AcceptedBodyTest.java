package io.busbar.gateway;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class AcceptedBodyTest {
  @Test
  void theBodyIsExactlyWhatJacksonWrites() {
    List<String> ids = List.of(UUID.randomUUID().toString(), "", "order-42", "a b/c:d~e{f}", "quote\"d", "back\\slash",
      "tab\there", "new\nline", "\u0000", "\u007f", "caf\u00e9", "\u2028", "emoji \ud83d\ude00", "</script>", "x".repeat(300));
    for (String id : ids) {
      assertThat(HttpApi.acceptedBody(id)).as(id).isEqualTo(new JsonObject().put("id", id).encode());
      assertThat(new JsonObject(HttpApi.acceptedBody(id)).getString("id")).isEqualTo(id);
    }
  }
}
