package io.busbar.config;

import io.busbar.cluster.ReliabilitySettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The {@code reliability} section: defaults, and problems named by key. */
class ReliabilityConfigTest {
  @TempDir
  Path dir;

  @Test
  void defaultsOfTheEmbeddedFileMatchTheCodeDefaults() {
    ReliabilitySettings fromFile = ReliabilitySettings.from(ConfigLoader.defaults().getJsonObject("reliability"));
    assertThat(fromFile).isEqualTo(ReliabilitySettings.from(null));
  }

  @Test
  void badValuesAndUnknownKeysAreNamed() throws Exception {
    Path conf = dir.resolve("c.json");
    Files.writeString(conf, "{\"reliability\": {\"attemptTimeoutMs\": 0, \"dedup\": {\"ttl\": 5},"
      + " \"deliverTimeoutMs\": 9000, \"maxDeliverTimeoutMs\": 1000}}");

    ConfigException e = catchThrowableOfType(ConfigException.class,
      () -> ConfigLoader.load(Map.of("--conf", conf.toString()), Map.of()));

    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("reliability.attemptTimeoutMs: must be a whole number"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("unknown key 'reliability.dedup.ttl'").contains("ttlSeconds"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p)
      .isEqualTo("reliability.deliverTimeoutMs: 9000 is above reliability.maxDeliverTimeoutMs (1000)"));
  }
}
