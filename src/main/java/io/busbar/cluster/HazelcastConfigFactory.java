package io.busbar.cluster;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.TcpIpConfig;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.spi.properties.HazelcastProperties;
import io.busbar.config.ConfigException;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.json.JsonObject;

import java.io.FileNotFoundException;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Turns the {@code cluster} section of the configuration into Hazelcast and event-bus settings.
 * Busbar's keys always win over the Hazelcast XML: join is tcp-ip to the listed members only,
 * multicast and cloud auto-detection are off, and the node binds only the configured host.
 */
public final class HazelcastConfigFactory {
  /** The embedded Hazelcast XML, a copy of {@code conf/cluster.xml}. */
  public static final String EMBEDDED_XML = "conf/cluster.xml";
  private static final String ANY = "0.0.0.0";
  static final String PARTITION_COUNT = "hazelcast.partition.count";
  /**
   * Hazelcast's partitions, unless the user's file or a system property says otherwise (every member must
   * use the same count, or it cannot join). Hazelcast's default, 271, is sized for large clusters and data
   * sets; Busbar's maps are small (subscriptions, deduplication ids, dead letters) and its clusters a few
   * nodes. A joining node's partitions migrate before the cluster is safe and the node ready: with 71 a
   * second node was ready in the cluster about a second sooner (bench B5, alternated with 271: 1.96-2.37 s
   * after its start against 2.92-3.49 s).
   */
  static final int PARTITIONS = 71;

  private HazelcastConfigFactory() {
  }

  /** What a clustered Vert.x needs: Hazelcast's settings and the event bus's, bound to the same host. */
  public record ClusterSettings(Config hazelcast, EventBusOptions eventBus) {
  }

  /** Resolves {@code cluster.host} once (it may be a host name) and derives both settings from it. */
  public static ClusterSettings create(JsonObject cluster) {
    return create(cluster, ReliabilitySettings.from(null));
  }

  /** Same, with the maps of reliable delivery (deduplication, dead letters) set up from {@code reliability}. */
  public static ClusterSettings create(JsonObject cluster, ReliabilitySettings reliability) {
    String host = resolve(cluster.getString("host"));
    String publicHost = publicHost(host, cluster.getString("publicHost", ""));
    EventBusOptions eventBus = new EventBusOptions()
      .setHost(host)
      .setPort(cluster.getInteger("eventBusPort"))
      .setClusterPublicHost(publicHost);
    Config config = hazelcastConfig(cluster, host, publicHost);
    reliabilityMaps(config, reliability);
    return new ClusterSettings(config, EventBusTls.apply(eventBus, cluster.getJsonObject("tls")));
  }

  private static Config hazelcastConfig(JsonObject cluster, String host, String publicHost) {
    Config config = baseConfig(cluster.getString("hazelcastConfig"));
    if (config.getProperty(PARTITION_COUNT) == null && System.getProperty(PARTITION_COUNT) == null) {
      config.setProperty(PARTITION_COUNT, String.valueOf(PARTITIONS));
    }
    int port = cluster.getInteger("port");

    config.setClusterName(cluster.getString("name"));
    ServerSocketEndpointConfig member = memberEndpoint(config);
    member.setPort(port).setPortAutoIncrement(true).setPortCount(cluster.getInteger("portCount"));
    if (ANY.equals(host)) {
      member.getInterfaces().setEnabled(false).clear();
      config.setProperty("hazelcast.socket.bind.any", "true");
    } else {
      member.getInterfaces().setEnabled(true).clear().addInterface(host);
      // Without this Hazelcast listens on every interface even when it advertises only one.
      config.setProperty("hazelcast.socket.bind.any", "false");
    }
    if (!publicHost.equals(host)) {
      member.setPublicAddress(publicHost);
    }

    JoinConfig join = config.getAdvancedNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getAwsConfig().setEnabled(false);
    join.getKubernetesConfig().setEnabled(false);
    TcpIpConfig tcp = join.getTcpIpConfig().setEnabled(true);
    tcp.setMembers(cluster.getJsonArray("members").stream().map(String.class::cast).toList());
    return config;
  }

  /**
   * The member endpoint of Hazelcast's advanced network, which Busbar's port, interface, public address and
   * join go to. A file with {@code <advanced-network enabled="true">} keeps its own; a file with the classic
   * {@code <network>} (the embedded one, most users') has its member settings moved over: join, SSL,
   * symmetric encryption, socket interceptor, outbound ports, address provider, ICMP failure detector, and
   * the {@code hazelcast.socket.*} options.
   * <p>
   * Why: with the classic network Hazelcast's outbound I/O thread spins at 100% of a core on a connection
   * to a member that accepts TCP but does not answer (a hung JVM: the kernel completes the handshake).
   * Its encoder reports "nothing to do" while the handshake frame waits, so the pipeline requeues itself
   * forever and the thread never selects again; every other connection on that thread stalls. After a
   * SIGSTOP of one node, the two healthy ones reconnect to it, and where their link to each other shared
   * that thread, the heartbeats on it stalled: 5 s later the two dropped each other and ran as two
   * clusters (ReliabilityIT's SIGSTOP scenario, warmed up; the runs before and after are counted in
   * docs/reliability.md; Hazelcast 5.3.8, the spin the same in 5.5.0 and 5.7.0). The advanced network's member encoder waits
   * blocked for the peer's protocol instead (HungMemberTest, docs/reliability.md).
   * Hazelcast clients, its REST API and memcache are not served on this endpoint: Busbar uses none of them,
   * and a file that wants them declares its own advanced network with those endpoints.
   */
  static ServerSocketEndpointConfig memberEndpoint(Config config) {
    AdvancedNetworkConfig advanced = config.getAdvancedNetworkConfig();
    if (!advanced.isEnabled()) {
      NetworkConfig network = config.getNetworkConfig();
      ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
      member.setReuseAddress(network.isReuseAddress())
        .setOutboundPortDefinitions(network.getOutboundPortDefinitions())
        .setOutboundPorts(network.getOutboundPorts())
        .setSSLConfig(network.getSSLConfig())
        .setSymmetricEncryptionConfig(network.getSymmetricEncryptionConfig())
        .setSocketInterceptorConfig(network.getSocketInterceptorConfig());
      socketOptionsAsTheClassicNetworkHadThem(member, new HazelcastProperties(config));
      advanced.setEnabled(true)
        .setJoin(network.getJoin())
        .setMemberAddressProviderConfig(network.getMemberAddressProviderConfig())
        .setIcmpFailureDetectorConfig(network.getIcmpFailureDetectorConfig())
        .setMemberEndpointConfig(member);
    }
    return (ServerSocketEndpointConfig) advanced.getEndpointConfigs().get(EndpointQualifier.MEMBER);
  }

  /**
   * The classic network takes its socket options from the {@code hazelcast.socket.*} properties, an endpoint
   * from its own settings, whose defaults differ in two: linger 0 (every close a reset, unsent data dropped)
   * against off, and no connect timeout against 10 s (a connect to a machine that is down would wait for the
   * operating system's timeout, minutes). The properties' values, a user's included, go to the endpoint.
   */
  private static void socketOptionsAsTheClassicNetworkHadThem(ServerSocketEndpointConfig member, HazelcastProperties properties) {
    member.setSocketTcpNoDelay(properties.getBoolean(ClusterProperty.SOCKET_NO_DELAY))
      .setSocketKeepAlive(properties.getBoolean(ClusterProperty.SOCKET_KEEP_ALIVE))
      .setSocketBufferDirect(properties.getBoolean(ClusterProperty.SOCKET_BUFFER_DIRECT))
      .setSocketSendBufferSizeKb(properties.getInteger(ClusterProperty.SOCKET_SEND_BUFFER_SIZE))
      .setSocketRcvBufferSizeKb(properties.getInteger(ClusterProperty.SOCKET_RECEIVE_BUFFER_SIZE))
      .setSocketConnectTimeoutSeconds(properties.getInteger(ClusterProperty.SOCKET_CONNECT_TIMEOUT_SECONDS));
    member.setSocketLingerSeconds(properties.getInteger(ClusterProperty.SOCKET_LINGER_SECONDS));
    member.setSocketKeepIdleSeconds(properties.getInteger(ClusterProperty.SOCKET_KEEP_IDLE));
    member.setSocketKeepIntervalSeconds(properties.getInteger(ClusterProperty.SOCKET_KEEP_INTERVAL));
    member.setSocketKeepCount(properties.getInteger(ClusterProperty.SOCKET_KEEP_COUNT));
  }

  /**
   * Deduplication entries expire after {@code reliability.dedup.ttlSeconds}; both maps keep
   * {@code reliability.backupCount} synchronous backups so that losing one member loses none of them.
   */
  private static void reliabilityMaps(Config config, ReliabilitySettings reliability) {
    config.addMapConfig(new MapConfig(Dedup.MAP)
      .setBackupCount(reliability.backupCount())
      .setTimeToLiveSeconds(reliability.dedupTtlSeconds()));
    config.addMapConfig(new MapConfig(DeadLetters.MAP_PREFIX + "*")
      .setBackupCount(reliability.backupCount()));
  }

  /**
   * Hazelcast binds interfaces by IP only; a host name (a container's own name, say) is resolved once
   * here so that {@code cluster.host} can be the name other nodes use.
   */
  private static String resolve(String host) {
    if (ANY.equals(host)) {
      return host;
    }
    try {
      return InetAddress.getByName(host).getHostAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException("cluster.host (--cluster-host, BUSBAR_CLUSTER_HOST): cannot resolve '" + host + "'");
    }
  }

  /** The address other nodes reach this one at: publicHost if set, else the (resolved) host. */
  private static String publicHost(String host, String publicHost) {
    if (!publicHost.isBlank()) {
      return publicHost;
    }
    if (ANY.equals(host)) {
      throw new ConfigException("cluster.publicHost (--cluster-public-host, BUSBAR_CLUSTER_PUBLIC_HOST): must be set"
        + " when cluster.host is 0.0.0.0, so that other nodes know which address reaches this one");
    }
    return host;
  }

  /** Hazelcast's switch for checking an XML file against its schema, read from the system properties. */
  static final String SCHEMA_VALIDATION = "hazelcast.config.schema.validation.enabled";

  /**
   * The embedded file is read without Hazelcast's schema check: compiling the schema takes ~0.2 s of a
   * ~1.9 s start-up, and the file is checked against it by the tests ({@code HazelcastConfigFactoryTest})
   * instead. A user's file is always checked (unless the user set the property). The property is global,
   * so every read here holds one lock.
   */
  private static synchronized Config baseConfig(String path) {
    if (path == null || path.isBlank()) {
      if (System.getProperty(SCHEMA_VALIDATION) != null) {
        return new ClasspathXmlConfig(EMBEDDED_XML);
      }
      System.setProperty(SCHEMA_VALIDATION, "false");
      try {
        return new ClasspathXmlConfig(EMBEDDED_XML);
      } finally {
        System.clearProperty(SCHEMA_VALIDATION);
      }
    }
    try {
      return new FileSystemXmlConfig(path);
    } catch (FileNotFoundException e) {
      throw new ConfigException("cluster.hazelcastConfig: file " + path + " does not exist");
    } catch (RuntimeException e) {
      throw new ConfigException("cluster.hazelcastConfig: file " + path + " is not a valid Hazelcast XML configuration");
    }
  }
}
