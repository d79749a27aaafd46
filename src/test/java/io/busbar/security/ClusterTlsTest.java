package io.busbar.security;

import io.busbar.testing.TestCluster;
import io.busbar.testing.Wait;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cluster.tls}: two nodes with TLS exchange event-bus messages (a request on A is answered by B's
 * echo service); a third node without TLS joins the Hazelcast cluster but cannot reach B's event bus.
 * The certificate is self-signed and made at test time.
 */
class ClusterTlsTest {
  @TempDir
  static Path dir;
  private static TestCluster cluster;
  private static Vertx client;
  private static WebClient http;

  @BeforeAll
  static void start() throws Exception {
    SelfSignedCertificate cert = SelfSignedCertificate.create("busbar-test");
    JsonObject tls = new JsonObject().put("enabled", true).put("certPath", cert.certificatePath()).put("keyPath", cert.privateKeyPath())
      .put("trustPath", cert.certificatePath());
    cluster = new TestCluster(3);
    cluster.start(0, dir, conf -> {
      conf.put("roles", new JsonArray().add("gateway"));
      conf.getJsonObject("cluster").put("tls", tls.copy());
    });
    cluster.start(1, dir, conf -> {
      conf.put("roles", new JsonArray().add("consumer"));
      conf.getJsonObject("cluster").put("tls", tls.copy());
    });
    cluster.start(2, dir, conf -> conf.put("roles", new JsonArray().add("gateway")));
    client = Vertx.vertx();
    http = WebClient.create(client);
  }

  @AfterAll
  static void stop() throws Exception {
    TestCluster.close(client, cluster);
  }

  private static HttpResponse<Buffer> echo(int node) {
    return Wait.await(http.post(cluster.httpPort(node), "127.0.0.1", "/api/request/svc.echo?timeout=1500")
      .putHeader("content-type", "application/json").sendBuffer(Buffer.buffer("{\"tls\":true}")));
  }

  @Test
  void tlsNodesTalkAndAPlaintextNodeCannot() {
    // B's echo registration reaches A a moment after B started: retry until it is there.
    Wait.until("A's request answered by B over TLS", () -> echo(0).statusCode() == 200);
    assertThat(echo(0).bodyAsJsonObject()).isEqualTo(new JsonObject().put("tls", true));
    // C knows B's echo registration (else 503 no_handlers), sends, and the TLS-only event bus of B never takes it.
    HttpResponse<Buffer>[] plain = new HttpResponse[1];
    Wait.until("C knows of B's echo service", () -> (plain[0] = echo(2)).statusCode() != 503);
    System.out.println("cluster TLS: TLS node -> 200; plaintext node -> " + plain[0].statusCode() + " " + plain[0].bodyAsString());
    assertThat(plain[0].statusCode()).isEqualTo(504);
  }
}
