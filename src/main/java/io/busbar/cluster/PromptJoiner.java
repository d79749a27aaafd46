package io.busbar.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.DefaultNodeContext;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.Joiner;
import com.hazelcast.internal.cluster.impl.DiscoveryJoiner;
import com.hazelcast.internal.cluster.impl.TcpIpJoiner;
import com.hazelcast.internal.server.ServerConnectionManager;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Hazelcast's tcp-ip join, without its fixed second of waiting when no listed member is there.
 * <p>
 * Hazelcast asks every listed address who the master is, then always waits a second
 * ({@code TcpIpJoiner.JOIN_RETRY_WAIT_TIME}, not configurable) before it looks at the answers, even when
 * every connection was refused at once. So the first node of a cluster, and a single node with the
 * default member list (its own host, three ports), took a second longer to start than it needs.
 * <p>
 * This joiner connects to the listed addresses first and waits only until the outcome is known: a
 * connection is up (the usual join follows, and the master's answer ends its wait as before), or every
 * address was refused (Hazelcast has then blacklisted them all, and the node forms the cluster at once,
 * exactly what it would have done a second later), or {@link #SETTLE_MS} passed (the usual join, as if
 * this joiner were not there). Nothing else changes: which addresses are tried, the blacklist, the master
 * election and the split-brain merges are Hazelcast's own.
 * <p>
 * Two nodes started together still find each other: each binds its port before it joins, so whichever
 * looks second sees the other's port open and joins through it.
 */
final class PromptJoiner extends TcpIpJoiner {
  /** At most this long for the listed addresses to connect or refuse; a slow network gets the usual join. */
  static final long SETTLE_MS = 500;
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  PromptJoiner(Node node) {
    super(node);
  }

  /** Hazelcast's node context, with this joiner wherever Hazelcast would have used its tcp-ip joiner. */
  static final class Context extends DefaultNodeContext {
    @Override
    public Joiner createJoiner(Node node) {
      Joiner joiner = super.createJoiner(node);
      return joiner instanceof TcpIpJoiner && !(joiner instanceof DiscoveryJoiner) ? new PromptJoiner(node) : joiner;
    }
  }

  @Override
  protected Collection<Address> getPossibleAddressesForInitialJoin() {
    Collection<Address> possible = super.getPossibleAddressesForInitialJoin();
    UUID self = node.getThisUuid();
    List<Address> others = new ArrayList<>();
    for (Address address : possible) {
      if (!self.equals(node.getLocalAddressRegistry().uuidOf(address))) {
        others.add(address);
      }
    }
    ServerConnectionManager connections = node.getServer().getConnectionManager(EndpointQualifier.MEMBER);
    for (Address address : others) {
      connections.getOrConnect(address);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
    while (!settled(others, connections) && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
      LockSupport.parkNanos(POLL_NANOS);
    }
    // Without this node's own addresses: Hazelcast drops them only after its first wait, and an address
    // of its own is never blacklisted, so it would wait that second even when all the others refused.
    return others;
  }

  private boolean settled(List<Address> others, ServerConnectionManager connections) {
    boolean allRefused = true;
    for (Address address : others) {
      if (connections.get(address) != null) {
        return true;
      }
      allRefused &= isBlacklisted(address);
    }
    return allRefused;
  }
}
