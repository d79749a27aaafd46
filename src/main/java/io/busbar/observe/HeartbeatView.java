package io.busbar.observe;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes this node has heard on {@code busbar.nodes} and when: the heartbeat-derived cluster size.
 * A node counts as live while its last heartbeat is younger than {@link #LIVE_MS}.
 */
public final class HeartbeatView {
  static final long LIVE_MS = 5_000;
  private final Map<String, Long> lastSeen = new ConcurrentHashMap<>();

  public void seen(String nodeId, long nowMillis) {
    lastSeen.put(nodeId, nowMillis);
  }

  public int live() {
    return live(System.currentTimeMillis());
  }

  int live(long nowMillis) {
    lastSeen.values().removeIf(t -> nowMillis - t > 10 * LIVE_MS);
    return (int) lastSeen.values().stream().filter(t -> nowMillis - t <= LIVE_MS).count();
  }
}
