package dev.asr.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.ledger.Settlement;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The seen ids and settled tasks: exact, one entry per id, a log record per 128 entries, expiry by epoch, an index rebuilt from the log. */
class SeenStoreTest {

    private static final long H = 3_600_000;
    private static final AgentKey BOT = new AgentKey("support", "bot-1");

    private final TreeMapStore log = new TreeMapStore();
    private final TreeMapStore index = new TreeMapStore();
    private final AtomicLong wall = new AtomicLong(1_000 * H);

    private SeenStore store() {
        SeenStore store = new SeenStore(log, index, wall::get, 24 * H, 24 * H);
        if (store.load()) {
            store.catchUpIndex();
        }
        return store;
    }

    @Test
    void anIdIsFirstSeenOnceBeforeAndAfterItsCommit() {
        SeenStore store = store();
        assertThat(store.firstSight(BOT, "e-1")).isTrue();
        assertThat(store.firstSight(BOT, "e-1")).as("not yet committed").isFalse();
        store.flush();
        assertThat(store.firstSight(BOT, "e-1")).as("committed").isFalse();
        assertThat(store.firstSight(new AgentKey("other", "bot-1"), "e-1")).as("another fleet's agent of the same id").isTrue();
    }

    @Test
    void aSettledTaskIsFoundWithItsSettlement() {
        SeenStore store = store();
        Settlement settlement = new Settlement(123, 120, true);
        store.remember(BOT, "t-1", settlement);
        assertThat(store.find(BOT, "t-1")).isEqualTo(settlement);
        store.flush();
        assertThat(store.find(BOT, "t-1")).isEqualTo(settlement);
        assertThat(store.find(BOT, "t-2")).isNull();
    }

    @Test
    void aCommitWritesOneLogRecordPer128EntriesAndTheIndexInOneBatch() {
        SeenStore store = store();
        for (int i = 0; i < 300; i++) {
            store.firstSight(BOT, "e-" + i);
        }
        store.flush();
        assertThat(log.map).as("300 entries: 128 + 128 + 44").hasSize(3);
        assertThat(log.map.values()).allSatisfy(record -> assertThat(record.length).isLessThan(128 * 64));
        assertThat(index.putAllCalls).isEqualTo(1);
        assertThat(index.map).as("every entry and the sync mark").hasSize(301);
    }

    @Test
    void aRestartFindsWhatTheLogHoldsWithoutRewritingASyncedIndex() {
        SeenStore first = store();
        first.firstSight(BOT, "e-1");
        first.remember(BOT, "t-1", new Settlement(1, 0, false));
        first.flush();
        int writes = index.putAllCalls;
        SeenStore restarted = new SeenStore(log, index, wall::get, 24 * H, 24 * H);
        assertThat(restarted.load()).as("the index is behind its log").isFalse();
        assertThat(index.putAllCalls).isEqualTo(writes);
        assertThat(restarted.firstSight(BOT, "e-1")).isFalse();
        assertThat(restarted.find(BOT, "t-1")).isNotNull();
    }

    @Test
    void anIndexWipedByACrashIsRebuiltFromTheLog() {
        SeenStore first = store();
        first.firstSight(BOT, "e-1");
        first.flush();
        first.firstSight(BOT, "e-2");
        first.flush();
        index.map.clear(); // exactly-once wipes a crashed task's local state; the log comes back from its changelog
        SeenStore restarted = new SeenStore(log, index, wall::get, 24 * H, 24 * H);
        assertThat(restarted.load()).isTrue();
        restarted.catchUpIndex();
        assertThat(restarted.firstSight(BOT, "e-1")).isFalse();
        assertThat(restarted.firstSight(BOT, "e-2")).isFalse();
        assertThat(restarted.firstSight(BOT, "e-3")).isTrue();
    }

    @Test
    void anIndexAheadOfItsLogIsRebuiltSoNothingOfAnAbortedCommitCountsAsSeen() {
        SeenStore first = store();
        first.firstSight(BOT, "kept");
        first.flush();
        TreeMapStore committedLog = new TreeMapStore();
        committedLog.map.putAll(log.map);
        first.firstSight(BOT, "aborted");
        first.flush(); // the index was written, but the transaction holding the log record aborted
        SeenStore restarted = new SeenStore(committedLog, index, wall::get, 24 * H, 24 * H);
        assertThat(restarted.load()).isTrue();
        restarted.catchUpIndex();
        assertThat(restarted.firstSight(BOT, "aborted")).as("a genuine event, not a duplicate").isTrue();
        assertThat(restarted.firstSight(BOT, "kept")).isFalse();
    }

    @Test
    void entriesAreForgottenPastTheRetentionAndTheirRecordsDropped() {
        SeenStore store = store();
        store.firstSight(BOT, "old");
        store.flush();
        wall.addAndGet(12 * H);
        store.firstSight(BOT, "newer");
        store.flush();
        wall.addAndGet(20 * H); // "old" is 32 h old, "newer" 20 h
        assertThat(store.firstSight(BOT, "old")).as("past the 24 h retention: counted again").isTrue();
        assertThat(store.firstSight(BOT, "newer")).isFalse();
        store.flush();
        wall.addAndGet(10 * H); // the first epoch is now past the retention plus an epoch
        while (store.dropExpired()) {
            // a slice at a time
        }
        assertThat(log.map).as("the first epoch's record is gone").hasSize(2);
        assertThat(store.firstSight(BOT, "old")).as("its resend of 20 h later is still remembered").isFalse();
        assertThat(index.map.keySet().stream().filter(key -> new String(key.get()).endsWith("old"))).hasSize(1);
    }
}
