package io.busbar.cluster;

import org.junit.jupiter.api.Test;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The lease rules of the deduplication map, as pure logic on one entry. */
class DedupProcessorTest {
  private static final Set<String> ALIVE = Set.of("a", "b");

  private static Map.Entry<String, String> entry(String value) {
    return new AbstractMap.SimpleEntry<>("events.x\nid-1", value);
  }

  @Test
  void aFreeIdIsClaimedWithALease() {
    Map.Entry<String, String> e = entry(null);
    assertThat(new Dedup.ClaimProcessor("a", "t1", 1000, 30_000, ALIVE).process(e)).isEqualTo(Dedup.Claim.CLAIMED);
    assertThat(e.getValue()).isEqualTo("P a t1 31000");
  }

  @Test
  void aDoneIdIsNeverClaimedAgain() {
    Map.Entry<String, String> e = entry("D");
    assertThat(new Dedup.ClaimProcessor("a", "t1", 1000, 30_000, ALIVE).process(e)).isEqualTo(Dedup.Claim.DONE);
    assertThat(e.getValue()).isEqualTo("D");
  }

  @Test
  void aLiveLeaseIsInProgressForOthersAndForASecondClaimOfTheSameNode() {
    Map.Entry<String, String> e = entry("P b t1 31000");
    assertThat(new Dedup.ClaimProcessor("a", "t2", 2000, 30_000, ALIVE).process(e)).isEqualTo(Dedup.Claim.IN_PROGRESS);
    assertThat(new Dedup.ClaimProcessor("b", "t3", 2000, 30_000, ALIVE).process(e)).isEqualTo(Dedup.Claim.IN_PROGRESS);
    assertThat(e.getValue()).isEqualTo("P b t1 31000");
  }

  @Test
  void aReRunOfTheSameClaimFindsItsOwnLease() {
    Map.Entry<String, String> e = entry("P b t1 31000");
    assertThat(new Dedup.ClaimProcessor("b", "t1", 2000, 30_000, ALIVE).process(e)).isEqualTo(Dedup.Claim.CLAIMED);
  }

  @Test
  void aLeaseOfALostMemberOrAnExpiredLeaseIsTakenOver() {
    Map.Entry<String, String> lost = entry("P gone t1 31000");
    assertThat(new Dedup.ClaimProcessor("a", "t2", 2000, 30_000, ALIVE).process(lost)).isEqualTo(Dedup.Claim.CLAIMED);
    assertThat(lost.getValue()).isEqualTo("P a t2 32000");

    Map.Entry<String, String> expired = entry("P b t1 31000");
    assertThat(new Dedup.ClaimProcessor("a", "t3", 31_001, 30_000, ALIVE).process(expired)).isEqualTo(Dedup.Claim.CLAIMED);
  }

  @Test
  void releaseRemovesOnlyTheNodesOwnLease() {
    Map.Entry<String, String> own = entry("P a t1 31000");
    new Dedup.ReleaseProcessor("a").process(own);
    assertThat(own.getValue()).isNull();

    Map.Entry<String, String> other = entry("P b t1 31000");
    new Dedup.ReleaseProcessor("a").process(other);
    assertThat(other.getValue()).isEqualTo("P b t1 31000");

    Map.Entry<String, String> done = entry("D");
    new Dedup.ReleaseProcessor("a").process(done);
    assertThat(done.getValue()).isEqualTo("D");
  }
}
