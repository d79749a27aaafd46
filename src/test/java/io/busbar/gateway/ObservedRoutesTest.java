package io.busbar.gateway;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ObservedRoutesTest {
  @Test
  void theOperationLabelIsTheSecondPathSegmentWhenItIsAnOperation() {
    Map<String, String> cases = Map.ofEntries(Map.entry("/api/publish/orders.created", "publish"), Map.entry("/api/send/a", "send"),
      Map.entry("/api/request/svc.echo", "request"), Map.entry("/api/deliver/x", "deliver"), Map.entry("/api/dlq/x/redrive", "dlq"),
      Map.entry("/api/publish", "publish"), Map.entry("/api/publish/", "publish"), Map.entry("/api/publishing/x", "other"),
      Map.entry("/api/pub", "other"), Map.entry("/api//publish/x", "other"), Map.entry("/api/", "other"), Map.entry("/api", "other"),
      Map.entry("/api/PUBLISH/x", "other"), Map.entry("/api/other/x", "other"));
    cases.forEach((path, operation) -> assertThat(ObservedRoutes.operation(path)).as(path).isEqualTo(operation));
  }
}
