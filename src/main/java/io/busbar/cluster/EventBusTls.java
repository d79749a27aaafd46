package io.busbar.cluster;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * Optional mutual TLS for the event-bus TCP connections between nodes ({@code cluster.tls}): each node
 * presents {@code certPath}/{@code keyPath} (PEM) and accepts only peers whose certificate is signed by
 * {@code trustPath} (a PEM CA or the peers' certificates). Event-bus messages, bodies and headers
 * included, then travel encrypted. Hazelcast's own membership traffic (open source) stays plain: see the
 * README's section on the cluster network.
 */
public final class EventBusTls {
  private EventBusTls() {
  }

  public static EventBusOptions apply(EventBusOptions options, JsonObject tls) {
    if (tls == null || !tls.getBoolean("enabled", false)) {
      return options;
    }
    return options.setSsl(true)
      .setKeyCertOptions(new PemKeyCertOptions().setKeyPath(tls.getString("keyPath")).setCertPath(tls.getString("certPath")))
      .setTrustOptions(new PemTrustOptions().addCertPath(tls.getString("trustPath")))
      .setClientAuth(ClientAuth.REQUIRED);
  }
}
