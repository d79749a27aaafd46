package io.busbar.cluster;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.config.InvalidConfigurationException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HazelcastConfigFactoryTest {
  /** Start-up reads the embedded file without the schema check; this is where it is checked. */
  @Test
  void theEmbeddedFileIsValidAgainstHazelcastsSchema() {
    assertThat(System.getProperty(HazelcastConfigFactory.SCHEMA_VALIDATION)).isNull();
    ClasspathXmlConfig config = new ClasspathXmlConfig(HazelcastConfigFactory.EMBEDDED_XML);
    assertThat(config.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
  }

  @Test
  void theEmbeddedFileReadsTheSameWithoutTheCheckAndLeavesThePropertyUnset() {
    HazelcastConfigFactory.ClusterSettings settings = HazelcastConfigFactory.create(cluster(null));
    assertThat(System.getProperty(HazelcastConfigFactory.SCHEMA_VALIDATION)).isNull();
    ClasspathXmlConfig checked = new ClasspathXmlConfig(HazelcastConfigFactory.EMBEDDED_XML);
    assertThat(settings.hazelcast().getProperties()).containsAllEntriesOf(checked.getProperties());
    assertThat(settings.hazelcast().getMultiMapConfig("__vertx.subs").getBackupCount()).isEqualTo(1);
    assertThat(settings.hazelcast().getAdvancedNetworkConfig().getJoin().getMulticastConfig().isEnabled()).isFalse();
  }

  /**
   * Members talk over the advanced network's member endpoint, whose encoder waits for a hung peer instead
   * of spinning an I/O thread (HungMemberTest); Busbar's port, interface and members go there.
   */
  @Test
  void membersUseTheAdvancedNetworksMemberEndpointWithBusbarsSettings() {
    Config config = HazelcastConfigFactory.create(cluster(null)).hazelcast();
    assertThat(config.getAdvancedNetworkConfig().isEnabled()).isTrue();
    ServerSocketEndpointConfig member = HazelcastConfigFactory.memberEndpoint(config);
    assertThat(member.getPort()).isEqualTo(5701);
    assertThat(member.getPortCount()).isEqualTo(20);
    assertThat(member.getInterfaces().isEnabled()).isTrue();
    assertThat(member.getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertJoinsOnlyBusbarsMembers(config);
  }

  /** The member endpoint's socket options are the classic network's, not the endpoint's own defaults (linger 0, no connect timeout). */
  @Test
  void theMemberEndpointKeepsTheClassicSocketOptionsAndAUsersProperties() throws Exception {
    ServerSocketEndpointConfig embedded = HazelcastConfigFactory.memberEndpoint(HazelcastConfigFactory.create(cluster(null)).hazelcast());
    assertThat(embedded.getSocketLingerSeconds()).isEqualTo(-1);
    assertThat(embedded.getSocketConnectTimeoutSeconds()).isEqualTo(10);
    assertThat(embedded.isSocketTcpNoDelay()).isTrue();
    ServerSocketEndpointConfig users = HazelcastConfigFactory.memberEndpoint(fromUsersFile("<properties>"
      + "<property name=\"hazelcast.socket.connect.timeout.seconds\">3</property>"
      + "<property name=\"hazelcast.socket.receive.buffer.size\">256</property></properties>"));
    assertThat(users.getSocketConnectTimeoutSeconds()).isEqualTo(3);
    assertThat(users.getSocketRcvBufferSizeKb()).isEqualTo(256);
  }

  /** A user's classic {@code <network>} keeps its member settings: they move to the member endpoint. */
  @Test
  void aUsersClassicNetworkSettingsMoveToTheMemberEndpoint() throws Exception {
    Config config = fromUsersFile("<network><outbound-ports><ports>33000-33100</ports></outbound-ports>"
      + "<join><multicast enabled=\"true\"/></join></network>");
    assertThat(HazelcastConfigFactory.memberEndpoint(config).getOutboundPortDefinitions()).containsExactly("33000-33100");
    assertJoinsOnlyBusbarsMembers(config);
  }

  /** A user's own advanced network keeps its other endpoints; Busbar sets the member endpoint's port and interface. */
  @Test
  void aUsersAdvancedNetworkKeepsItsEndpoints() throws Exception {
    Config config = fromUsersFile("<advanced-network enabled=\"true\">"
      + "<member-server-socket-endpoint-config><port>6000</port></member-server-socket-endpoint-config>"
      + "<client-server-socket-endpoint-config><port>7000</port></client-server-socket-endpoint-config></advanced-network>");
    assertThat(HazelcastConfigFactory.memberEndpoint(config).getPort()).isEqualTo(5701);
    ServerSocketEndpointConfig client = (ServerSocketEndpointConfig) config.getAdvancedNetworkConfig().getEndpointConfigs()
      .get(EndpointQualifier.CLIENT);
    assertThat(client.getPort()).isEqualTo(7000);
  }

  /** Hazelcast's metrics cost an idle node about 40% of its CPU (conf/cluster.xml); only a user's own file turns them on. */
  @Test
  void hazelcastsOwnMetricsAreOffByDefaultAndAUsersFileCanTurnThemOn() throws Exception {
    assertThat(HazelcastConfigFactory.create(cluster(null)).hazelcast().getMetricsConfig().isEnabled()).isFalse();
    assertThat(fromUsersFile("<metrics enabled=\"true\"/>").getMetricsConfig().isEnabled()).isTrue();
  }

  /** Every member needs the same partition count: Busbar's applies to a user's file that sets none, not over one that does. */
  @Test
  void partitionsAre71UnlessTheUsersFileSetsACount() throws Exception {
    assertThat(HazelcastConfigFactory.create(cluster(null)).hazelcast().getProperty(HazelcastConfigFactory.PARTITION_COUNT)).isEqualTo("71");
    Path file = Files.createTempFile("busbar-hz", ".xml");
    try {
      Files.writeString(file, "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"></hazelcast>");
      assertThat(HazelcastConfigFactory.create(cluster(file.toString())).hazelcast().getProperty(HazelcastConfigFactory.PARTITION_COUNT)).isEqualTo("71");
      Files.writeString(file, "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"><properties>"
        + "<property name=\"hazelcast.partition.count\">271</property></properties></hazelcast>");
      assertThat(HazelcastConfigFactory.create(cluster(file.toString())).hazelcast().getProperty(HazelcastConfigFactory.PARTITION_COUNT)).isEqualTo("271");
    } finally {
      Files.delete(file);
    }
  }

  @Test
  void aUsersFileIsStillCheckedAgainstTheSchema() throws Exception {
    Path file = Files.createTempFile("busbar-hz", ".xml");
    try {
      Files.writeString(file, "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"><no-such-element/></hazelcast>");
      assertThatThrownBy(() -> HazelcastConfigFactory.create(cluster(file.toString())))
        .hasMessageContaining("cluster.hazelcastConfig");
      assertThat(System.getProperty(HazelcastConfigFactory.SCHEMA_VALIDATION)).isNull();
    } finally {
      Files.delete(file);
    }
  }

  private static void assertJoinsOnlyBusbarsMembers(Config config) {
    JoinConfig join = config.getAdvancedNetworkConfig().getJoin();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1");
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
  }

  /** Busbar's Hazelcast settings over a user's file of these elements. */
  private static Config fromUsersFile(String elements) throws Exception {
    Path file = Files.createTempFile("busbar-hz", ".xml");
    try {
      Files.writeString(file, "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\">" + elements + "</hazelcast>");
      return HazelcastConfigFactory.create(cluster(file.toString())).hazelcast();
    } finally {
      Files.delete(file);
    }
  }

  private static JsonObject cluster(String hazelcastConfig) {
    JsonObject c = new JsonObject().put("name", "test").put("host", "127.0.0.1").put("publicHost", "").put("port", 5701)
      .put("portCount", 20).put("eventBusPort", 0).put("members", new JsonArray().add("127.0.0.1"))
      .put("tls", new JsonObject().put("enabled", false).put("certPath", "").put("keyPath", "").put("trustPath", ""));
    if (hazelcastConfig != null) {
      c.put("hazelcastConfig", hazelcastConfig);
    }
    return c;
  }
}
