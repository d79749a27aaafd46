package io.busbar.config;

import io.busbar.gateway.GatewayVerticle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Precedence (flag > env > --conf file > embedded defaults), list parsing and validation messages. */
class ConfigLoaderTest {
  private static final Map<String, String> NONE = Map.of();

  @TempDir
  Path dir;

  @Test
  void withNothingGivenTheEmbeddedDefaultsApply() {
    JsonObject config = ConfigLoader.load(NONE, NONE);

    assertThat(config).isEqualTo(ConfigLoader.defaults());
    assertThat(config.getJsonObject("gateway").getInteger("port")).isEqualTo(8080);
    assertThat(config.getJsonArray("roles")).containsExactly("producer", "consumer", "gateway");
  }

  @Test
  void confFileIsMergedDeeplyOverTheDefaults() throws IOException {
    Path conf = write("{\"gateway\": {\"port\": 9001}}");

    JsonObject config = ConfigLoader.load(Map.of("--conf", conf.toString()), NONE);

    assertThat(config.getJsonObject("gateway").getInteger("port")).isEqualTo(9001);
    // The rest of the section keeps its defaults: a conf file only lists what it changes.
    assertThat(config.getJsonObject("gateway").getString("host")).isEqualTo("127.0.0.1");
    assertThat(config.getJsonObject("gateway").getJsonObject("sockjs").getString("path")).isEqualTo("/eventbus");
  }

  @Test
  void envBeatsConfFileAndFlagBeatsEnv() throws IOException {
    Path conf = write("{\"gateway\": {\"port\": 9001}, \"cluster\": {\"name\": \"from-file\"}}");

    JsonObject fileOnly = ConfigLoader.load(Map.of("--conf", conf.toString()), NONE);
    JsonObject fileAndEnv = ConfigLoader.load(Map.of("--conf", conf.toString()), Map.of("BUSBAR_HTTP_PORT", "9002"));
    JsonObject all = ConfigLoader.load(Map.of("--conf", conf.toString(), "--http-port", "9003"),
      Map.of("BUSBAR_HTTP_PORT", "9002"));

    assertThat(fileOnly.getJsonObject("gateway").getInteger("port")).isEqualTo(9001);
    assertThat(fileAndEnv.getJsonObject("gateway").getInteger("port")).isEqualTo(9002);
    assertThat(all.getJsonObject("gateway").getInteger("port")).isEqualTo(9003);
    // Keys that neither env nor flags set still come from the file.
    assertThat(all.getJsonObject("cluster").getString("name")).isEqualTo("from-file");
  }

  @Test
  void envAloneOverridesDefaults() {
    JsonObject config = ConfigLoader.load(NONE, Map.of(
      "BUSBAR_CLUSTER_NAME", "env-cluster",
      "BUSBAR_CLUSTER_PORT", "6001",
      "BUSBAR_HTTP_HOST", "0.0.0.0"));

    assertThat(config.getJsonObject("cluster").getString("name")).isEqualTo("env-cluster");
    assertThat(config.getJsonObject("cluster").getInteger("port")).isEqualTo(6001);
    assertThat(config.getJsonObject("gateway").getString("host")).isEqualTo("0.0.0.0");
  }

  @Test
  void confFileComesFromBusbarConfUnlessTheFlagNamesAnother() throws IOException {
    Path fromEnv = write("env.json", "{\"gateway\": {\"port\": 9101}}");
    Path fromFlag = write("flag.json", "{\"gateway\": {\"port\": 9102}}");

    JsonObject envConf = ConfigLoader.load(NONE, Map.of("BUSBAR_CONF", fromEnv.toString()));
    JsonObject flagConf = ConfigLoader.load(Map.of("--conf", fromFlag.toString()), Map.of("BUSBAR_CONF", fromEnv.toString()));

    assertThat(envConf.getJsonObject("gateway").getInteger("port")).isEqualTo(9101);
    assertThat(flagConf.getJsonObject("gateway").getInteger("port")).isEqualTo(9102);
  }

  @Test
  void listsAreCommaSeparatedAndNoneMeansEmpty() {
    JsonObject roles = ConfigLoader.load(Map.of("--roles", "producer, gateway"), NONE);
    JsonObject noRoles = ConfigLoader.load(Map.of("--roles", "none"), NONE);
    JsonObject members = ConfigLoader.load(NONE, Map.of("BUSBAR_MEMBERS", "127.0.0.1:5701,10.0.0.2"));
    JsonObject deploy = ConfigLoader.load(Map.of("--deploy", "com.example.A,com.example.B"), NONE);

    assertThat(roles.getJsonArray("roles")).isEqualTo(new JsonArray().add("producer").add("gateway"));
    assertThat(noRoles.getJsonArray("roles")).isEmpty();
    assertThat(members.getJsonObject("cluster").getJsonArray("members"))
      .isEqualTo(new JsonArray().add("127.0.0.1:5701").add("10.0.0.2"));
    assertThat(deploy.getJsonArray("deploy")).isEqualTo(new JsonArray().add("com.example.A").add("com.example.B"));
  }

  @Test
  void badPortTextNamesTheKeyItsFlagAndItsVariable() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--http-port", "abc"), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("gateway.port (--http-port, BUSBAR_HTTP_PORT): must be a whole number from 0 to 65535, got \"abc\"");
  }

  @Test
  void portOutOfRangeIsRejectedWhereverItComesFrom() throws IOException {
    Path conf = write("{\"cluster\": {\"port\": 0}}");

    assertThatThrownBy(() -> ConfigLoader.load(NONE, Map.of("BUSBAR_HTTP_PORT", "70000")))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("gateway.port (--http-port, BUSBAR_HTTP_PORT): must be a whole number from 0 to 65535, got 70000");
    // Set in a file, the message still says which flag and variable set the same key.
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("cluster.port (--cluster-port, BUSBAR_CLUSTER_PORT): must be a whole number from 1 to 65535, got 0");
  }

  @Test
  void gatewayInstancesDefaultToOneAndComeFromTheEnvironmentOrAFlag() {
    assertThat(ConfigLoader.load(NONE, NONE).getJsonObject("gateway").getInteger("instances")).isEqualTo(1);
    assertThat(ConfigLoader.load(NONE, Map.of("BUSBAR_GATEWAY_INSTANCES", "4")).getJsonObject("gateway").getInteger("instances"))
      .isEqualTo(4);
    // "auto": one per core this JVM may use.
    JsonObject auto = ConfigLoader.load(NONE, Map.of("BUSBAR_GATEWAY_INSTANCES", "auto")).getJsonObject("gateway");
    assertThat(auto.getValue("instances")).isEqualTo("auto");
    assertThat(GatewayVerticle.instances(auto)).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(ConfigLoader.load(Map.of("--gateway-instances", "2"), NONE).getJsonObject("gateway").getInteger("instances"))
      .isEqualTo(2);
    assertThatThrownBy(() -> ConfigLoader.load(NONE, Map.of("BUSBAR_GATEWAY_INSTANCES", "0")))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("gateway.instances (--gateway-instances, BUSBAR_GATEWAY_INSTANCES): must be \"auto\" (one per core) or a whole number from 1 to 256, got 0");
  }

  @Test
  void unknownRoleIsNamed() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--roles", "producer,gatway"), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("roles (--roles, BUSBAR_ROLES): unknown role 'gatway'");
  }

  @Test
  void unknownKeyIsAnErrorThatListsTheKnownKeys() throws IOException {
    Path conf = write("{\"gateway\": {\"prot\": 9000}}");

    ConfigException e = catchThrowableOfType(ConfigException.class,
      () -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE));

    assertThat(e.problems()).hasSize(1);
    assertThat(e.problems().get(0)).startsWith("unknown key 'gateway.prot'").contains("port");
  }

  @Test
  void badRegexInInboundIsNamed() throws IOException {
    Path conf = write("{\"gateway\": {\"inbound\": [{\"addressRegex\": \"events\\\\.(\"}]}}");

    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("gateway.inbound:")
      .hasMessageContaining("addressRegex 'events\\.(' is not a valid regular expression");
  }

  @Test
  void permissionEntriesMustBeExactlyAddressOrAddressRegex() throws IOException {
    Path conf = write("{\"gateway\": {\"outbound\": [{\"address\": \"a\", \"addressRegex\": \"b\"}]}}");

    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("gateway.outbound: each entry must be exactly one of");
  }

  @Test
  void memberWithBadPortIsNamed() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--members", "127.0.0.1:5701,127.0.0.1:70000"), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("cluster.members (--members, BUSBAR_MEMBERS): member '127.0.0.1:70000' has a port outside 1-65535");
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--members", "127.0.0.1:abc"), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("cluster.members (--members, BUSBAR_MEMBERS): member '127.0.0.1:abc' is not host or host:port");
  }

  @Test
  void noMembersIsRejected() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--members", "none"), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("cluster.members (--members, BUSBAR_MEMBERS): must list at least one member");
  }

  @Test
  void missingConfFileIsNamed() {
    Path missing = dir.resolve("nope.json");

    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", missing.toString()), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("conf file " + missing + " (--conf, BUSBAR_CONF) does not exist");
  }

  @Test
  void confFileThatIsNotAJsonObjectIsNamed() throws IOException {
    Path notJson = write("bad.json", "gateway: {port: 1}");
    Path array = write("array.json", "[1, 2]");

    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", notJson.toString()), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("conf file " + notJson + " (--conf, BUSBAR_CONF) is not a JSON object");
    assertThatThrownBy(() -> ConfigLoader.load(NONE, Map.of("BUSBAR_CONF", array.toString())))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("conf file " + array + " (--conf, BUSBAR_CONF) is not a JSON object");
  }

  @Test
  void requestTimeoutAboveTheMaximumIsRejected() throws IOException {
    Path conf = write("{\"gateway\": {\"requestTimeoutMs\": 5000, \"maxRequestTimeoutMs\": 1000}}");

    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("gateway.requestTimeoutMs: 5000 is above gateway.maxRequestTimeoutMs (1000)");
  }

  @Test
  void everyProblemIsReportedAtOnce() throws IOException {
    Path conf = write("{\"gateway\": {\"prot\": 9000, \"bodyLimit\": -1}, \"producer\": {\"heartbeat\": {\"enabled\": \"yes\"}}}");

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(
      Map.of("--conf", conf.toString(), "--http-port", "abc", "--roles", "producer,bogus"),
      Map.of("BUSBAR_CLUSTER_NAME", "has space")));

    assertThat(e.problems()).hasSize(6);
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("gateway.port (--http-port, BUSBAR_HTTP_PORT)"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("roles (--roles, BUSBAR_ROLES): unknown role 'bogus'"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("cluster.name (--cluster-name, BUSBAR_CLUSTER_NAME)"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("unknown key 'gateway.prot'"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("gateway.bodyLimit: must be a whole number"));
    assertThat(e.problems()).anySatisfy(p -> assertThat(p).startsWith("producer.heartbeat.enabled: must be true or false"));
    // The exception message lists them all, one per line, so that Main can print it as it is.
    assertThat(e.getMessage().lines().count()).isEqualTo(7);
  }

  private Path write(String json) throws IOException {
    return write("busbar.json", json);
  }

  private Path write(String name, String json) throws IOException {
    return Files.writeString(dir.resolve(name), json);
  }

  @Test
  void securityKeysAreCheckedAndNamed() throws IOException {
    Path conf = write("{\"gateway\": {\"auth\": {\"enabled\": true, \"hs256Secrets\": [\"short\"],"
      + " \"rules\": [{\"who\": \"everyone\", \"actions\": [\"publish\"], \"address\": \"a\"}]},"
      + " \"limits\": {\"maxAddressLength\": 0}, \"cors\": {\"allowedOrigins\": [\"https://app.example/\"]}}}");

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE));

    assertThat(e.getMessage()).contains("gateway.auth.hs256Secrets").contains("gateway.auth.rules").contains("who must be")
      .contains("gateway.limits.maxAddressLength").contains("gateway.cors.allowedOrigins");
  }

  @Test
  void authWithoutAnyKeyIsRejected() throws IOException {
    Path conf = write("{\"gateway\": {\"auth\": {\"enabled\": true}}}");

    assertThatThrownBy(() -> ConfigLoader.load(Map.of("--conf", conf.toString()), NONE))
      .hasMessageContaining("gateway.auth.enabled: true needs at least one of");
  }
}
