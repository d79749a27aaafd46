package io.busbar.testing;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One real node in its own one-member cluster for a test class, started before its tests with the
 * default test config changed by {@code adjust}, closed after them:
 * {@code @RegisterExtension static final OneNode node = new OneNode(conf -> ...);}.
 */
public final class OneNode implements BeforeAllCallback, AfterAllCallback {
  private final Consumer<JsonObject> adjust;
  private TestCluster cluster;
  private Path dir;

  public OneNode(Consumer<JsonObject> adjust) {
    this.adjust = adjust;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("busbar-one-node");
    cluster = TestCluster.startOne(dir, adjust);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (dir != null) {
        try (Stream<Path> files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
      }
    }
  }

  /** The node's HTTP port. */
  public int port() {
    return cluster.httpPort(0);
  }
}
