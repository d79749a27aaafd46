package io.busbar.cluster;

import com.hazelcast.cluster.Address;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.EndpointQualifier;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import io.busbar.BusbarNode;
import io.busbar.NodeContext;
import io.busbar.testing.TestCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A member that accepts TCP connections but never answers (a hung JVM: SIGSTOP, a long pause; the kernel
 * still completes the handshakes) must not cost a healthy node a core or its other connections. With
 * Hazelcast's classic network the outbound I/O thread that got such a connection spun at 100% until the
 * connection closed, and the node's other connections on that thread, heartbeats included, stalled: the
 * cause of the split brain after a SIGSTOP (see {@link HazelcastConfigFactory#memberEndpoint}). A real
 * node connects to a socket that listens and never accepts, the way Hazelcast reconnects to a suspected
 * member when an operation targets it.
 */
class HungMemberTest {
  private static final long WATCH_MS = 2_000;

  @Test
  void aConnectionToAMemberThatNeverAnswersLeavesTheIoThreadsIdle(@TempDir Path dir) throws Exception {
    try (TestCluster cluster = new TestCluster(1); ServerSocket hung = new ServerSocket()) {
      hung.bind(new InetSocketAddress("127.0.0.1", 0), 16);
      BusbarNode node = cluster.start(0, dir, c -> { });
      HazelcastInstance hazelcast = NodeContext.of(node.vertx()).hazelcast();
      long before = outboundIoCpuNanos(hazelcast.getName());
      ((HazelcastInstanceProxy) hazelcast).getOriginal().node.getServer().getConnectionManager(EndpointQualifier.MEMBER)
        .getOrConnect(new Address("127.0.0.1", hung.getLocalPort()));
      Thread.sleep(WATCH_MS);
      long usedMs = TimeUnit.NANOSECONDS.toMillis(outboundIoCpuNanos(hazelcast.getName()) - before);
      // Spinning, the thread took the whole 2 s of a core (1.5-2 s even on a busy 2-core host); waiting, it
      // takes a few ms. A quarter of the time separates the two by far on any host, in both directions.
      assertThat(usedMs).as("CPU ms of the node's outbound I/O threads in %d ms with a connection to a hung member", WATCH_MS)
        .isLessThan(WATCH_MS / 4);
    }
  }

  private static long outboundIoCpuNanos(String instanceName) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long total = 0;
    for (ThreadInfo thread : threads.dumpAllThreads(false, false)) {
      if (thread.getThreadName().startsWith("hz." + instanceName + ".IO.thread-out-")) {
        total += Math.max(0, threads.getThreadCpuTime(thread.getThreadId()));
      }
    }
    return total;
  }
}
