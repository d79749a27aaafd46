package io.busbar.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * Cluster-wide deduplication of reliable deliveries by address and event id, in the Hazelcast map
 * {@value #MAP} (TTL {@code reliability.dedup.ttlSeconds}, {@code reliability.backupCount} backups, set
 * up by {@link HazelcastConfigFactory}). An entry is either a <em>lease</em> (a node is handling the
 * event: its member id and until when) or <em>done</em>. Every change is one entry processor on the
 * key's partition, so two nodes can never both claim an id; only Hazelcast's async API is used.
 *
 * <p>A lease is taken over when its owner is no longer a member (it crashed or left) or has run out
 * ({@code reliability.dedup.leaseMs}: a handler that hangs that long is deemed lost).
 */
public final class Dedup {
  public static final String MAP = "busbar.dedup";
  private static final String DONE = "D";

  /** What a claim found. */
  public enum Claim { CLAIMED, DONE, IN_PROGRESS }

  private final HazelcastInstance hazelcast;
  private final long leaseMs;

  public Dedup(HazelcastInstance hazelcast, long leaseMs) {
    this.hazelcast = hazelcast;
    this.leaseMs = leaseMs;
  }

  /** Takes the lease on {@code id} for this node, unless it is done or leased by a live member. */
  public Future<Claim> claim(Context context, String address, String id) {
    String self = hazelcast.getCluster().getLocalMember().getUuid().toString();
    Set<String> members = hazelcast.getCluster().getMembers().stream()
      .map(Member::getUuid).map(Object::toString).collect(Collectors.toSet());
    // The token makes a claim idempotent: Hazelcast re-runs an operation whose partition owner was lost
    // mid-call, and the re-run must recognise the lease it took the first time.
    String token = java.util.UUID.randomUUID().toString();
    return onContext(map().submitToKey(key(address, id),
      new ClaimProcessor(self, token, System.currentTimeMillis(), leaseMs, members)), context);
  }

  /** Marks {@code id} as handled: from now on, retries are acknowledged without calling the handler. */
  public Future<Void> markDone(Context context, String address, String id) {
    return onContext(map().setAsync(key(address, id), DONE), context);
  }

  /** Gives the lease back (the handler failed), so that a retry may claim it at once. */
  public Future<Object> release(Context context, String address, String id) {
    String self = hazelcast.getCluster().getLocalMember().getUuid().toString();
    return onContext(map().submitToKey(key(address, id), new ReleaseProcessor(self)), context);
  }

  /**
   * A Hazelcast call's result as a future completed on {@code context}. {@code Future.fromCompletionStage}
   * registers a plain {@code whenComplete}, which Hazelcast runs on its default async executor: where the
   * common fork-join pool has a parallelism of 1 (2 CPUs or fewer, a usual container), that executor starts
   * a new thread for every callback it runs. Steady load rarely got there (14-39 threads in 20 s at 150
   * deliveries/s), but a failover did: the survivors of a SIGSTOP test had started 1,630-2,541 threads 4 s
   * after the hung member was suspected, 85-90 with this. The callback here only hands the result to the
   * context, so it runs on the Hazelcast thread that completes the call.
   */
  private static <T> Future<T> onContext(CompletionStage<T> stage, Context context) {
    Promise<T> promise = Promise.promise();
    stage.whenCompleteAsync((value, failure) -> context.runOnContext(v -> {
      if (failure != null) {
        promise.fail(failure);
      } else {
        promise.complete(value);
      }
    }), Runnable::run);
    return promise.future();
  }

  private IMap<String, String> map() {
    return hazelcast.getMap(MAP);
  }

  static String key(String address, String id) {
    return address + '\n' + id;
  }

  /**
   * Claims a key. Deterministic in its inputs (the caller's clock and member view travel with it), so
   * the backup replicas reach the same state as the primary.
   */
  static final class ClaimProcessor implements EntryProcessor<String, String, Claim> {
    private static final long serialVersionUID = 1L;
    private final String owner;
    private final String token;
    private final long now;
    private final long leaseMs;
    private final Set<String> members;

    ClaimProcessor(String owner, String token, long now, long leaseMs, Set<String> members) {
      this.owner = owner;
      this.token = token;
      this.now = now;
      this.leaseMs = leaseMs;
      this.members = members;
    }

    @Override
    public Claim process(Map.Entry<String, String> entry) {
      String value = entry.getValue();
      if (DONE.equals(value)) {
        return Claim.DONE;
      }
      if (value != null) {
        // "P <owner> <token> <lease end>"
        String[] lease = value.split(" ");
        if (lease[2].equals(token)) {
          return Claim.CLAIMED;
        }
        boolean ownerAlive = members.contains(lease[1]);
        boolean expired = Long.parseLong(lease[3]) < now;
        if (ownerAlive && !expired) {
          return Claim.IN_PROGRESS;
        }
      }
      entry.setValue("P " + owner + " " + token + " " + (now + leaseMs));
      return Claim.CLAIMED;
    }
  }

  /** Removes the lease if this node still holds it (it may have been taken over meanwhile). */
  static final class ReleaseProcessor implements EntryProcessor<String, String, Object> {
    private static final long serialVersionUID = 1L;
    private final String owner;

    ReleaseProcessor(String owner) {
      this.owner = owner;
    }

    @Override
    public Object process(Map.Entry<String, String> entry) {
      String value = entry.getValue();
      if (value != null && value.startsWith("P " + owner + " ")) {
        entry.setValue(null);
      }
      return null;
    }
  }
}
