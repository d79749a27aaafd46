package io.busbar.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Free loopback ports and unique cluster names, so that tests never meet another test's cluster. */
public final class Ports {
  /**
   * Every port handed out in this JVM. A port is free when checked but is bound seconds later by a forked
   * node, so a second call in that window could hand it out again: a test's HTTP port could be its own
   * cluster's Hazelcast port, or the port of an earlier test's node that is still exiting. Seen once in CI:
   * a forked node's HTTP port was "already in use" 2 s after it was found free. Handing each port out once
   * per JVM closes that window; 12,000 ports are far more than a suite uses.
   */
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private Ports() {
  }

  /** A random cluster name for one test. */
  public static String clusterName() {
    return "busbar-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * A port that is free now on 127.0.0.1, outside the OS's ephemeral range: a port the OS hands out for
   * "any free port" can be taken by the next outbound connection (a forked node's Hazelcast dialling its
   * peers) before the node that was given it binds it. Seen once: a forked node failed to bind its HTTP
   * port while its cluster peer was connecting.
   */
  public static int free() {
    return freeRange(1);
  }

  /**
   * The first of {@code count} consecutive ports that are all free now, for a cluster whose members
   * each take one. Random in 20000-32000, below Linux's ephemeral range (32768-60999 by default), so
   * that no outbound connection is given one of them meanwhile.
   */
  public static int freeRange(int count) {
    for (int attempt = 0; attempt < 200; attempt++) {
      int base = ThreadLocalRandom.current().nextInt(20_000, 32_000 - count);
      boolean allFree = true;
      for (int p = base; p < base + count && allFree; p++) {
        if (HANDED_OUT.contains(p)) {
          allFree = false;
          break;
        }
        try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
          s.setReuseAddress(true);
        } catch (IOException e) {
          allFree = false;
        }
      }
      if (allFree && reserve(base, count)) {
        return base;
      }
    }
    throw new IllegalStateException("no free range of " + count + " ports");
  }

  /** Claims all of base..base+count-1 or none, so that two threads never get overlapping ranges. */
  private static synchronized boolean reserve(int base, int count) {
    for (int p = base; p < base + count; p++) {
      if (HANDED_OUT.contains(p)) {
        return false;
      }
    }
    for (int p = base; p < base + count; p++) {
      HANDED_OUT.add(p);
    }
    return true;
  }
}
