package io.busbar.security;

/**
 * {@link LimitsTest} on two gateway instances: each test's sockets and requests arrive on several
 * connections, which Vert.x shares out between the two event loops, and each limit must still hold for
 * the node (a per-instance count would let twice {@code maxConnectionsPerNode} in, say).
 */
class LimitsAcrossGatewayInstancesTest extends LimitsTest {
  @Override
  int gatewayInstances() {
    return 2;
  }
}
