package dev.asr.streams.window;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** Buckets and rolling views (SPEC §4): views of 1, 3 and 5 one-minute buckets; times in minutes. */
class AgentWindowsTest {

    private static final long M = 60_000;
    private static final long[] VIEWS = {M, 3 * M, 5 * M};
    private static final AgentKey BOT = new AgentKey("support", "bot-1");

    private final InMemoryBuckets closed = new InMemoryBuckets();

    static final class InMemoryBuckets implements ClosedBuckets {
        final TreeMap<Long, Figures> byStart = new TreeMap<>();

        @Override
        public Figures get(AgentKey agent, long start) {
            return byStart.get(start);
        }

        @Override
        public void put(AgentKey agent, long start, Figures figures) {
            byStart.put(start, figures.copy());
        }

        @Override
        public void delete(AgentKey agent, long start) {
            byStart.remove(start);
        }

        @Override
        public void forEach(AgentKey agent, long from, long to, BiConsumer<Long, Figures> action) {
            byStart.subMap(from, to).forEach(action);
        }

        @Override
        public void deleteBefore(AgentKey agent, long start) {
            byStart.headMap(start).clear();
        }
    }

    /** Minute m's bucket: spend m * 100 (so every sum says which minutes are in it). */
    private static void spendIn(AgentWindows windows, int minute) {
        windows.bucket(minute * M).add(Figure.SPEND, minute * 100L);
    }

    private static long spend(AgentWindows windows, int view) {
        return windows.views().sums(view).get(Figure.SPEND);
    }

    @Test
    void aClosedBucketEntersEveryView() {
        AgentWindows windows = new AgentWindows(VIEWS);
        spendIn(windows, 1);
        windows.close(BOT, M, closed);
        assertThat(spend(windows, 0)).isEqualTo(100);
        assertThat(spend(windows, 1)).isEqualTo(100);
        assertThat(spend(windows, 2)).isEqualTo(100);
        assertThat(closed.byStart).containsKey(M);
    }

    @Test
    void aBucketLeavesEachViewWhenItIsOlderThanTheViewAndTheLongestViewsOldestIsDeleted() {
        AgentWindows windows = new AgentWindows(VIEWS);
        for (int minute = 1; minute <= 6; minute++) {
            spendIn(windows, minute);
            windows.close(BOT, minute * M, closed);
        }
        assertThat(spend(windows, 0)).as("1m: minute 6").isEqualTo(600);
        assertThat(spend(windows, 1)).as("3m: minutes 4-6").isEqualTo(1_500);
        assertThat(spend(windows, 2)).as("5m: minutes 2-6").isEqualTo(2_000);
        assertThat(closed.byStart.keySet()).as("minute 1 left the longest view").containsExactly(2 * M, 3 * M, 4 * M, 5 * M, 6 * M);
    }

    @Test
    void aBucketWithNothingInItIsNotStored() {
        AgentWindows windows = new AgentWindows(VIEWS);
        windows.bucket(M);
        windows.close(BOT, M, closed);
        assertThat(closed.byStart).isEmpty();
    }

    @Test
    void closingReportsWhetherTheBucketWasTouchedAndTheViewsWereEmpty() {
        AgentWindows windows = new AgentWindows(VIEWS);
        assertThat(windows.close(BOT, 0, closed).nothingToReport()).as("a new agent's first, untouched bucket").isTrue();
        windows.bucket(M); // an event with no cost still touches its bucket
        assertThat(windows.close(BOT, M, closed).nothingToReport()).isFalse();
        spendIn(windows, 2);
        windows.close(BOT, 2 * M, closed);
        AgentWindows.Closed quietMinute = windows.close(BOT, 3 * M, closed);
        assertThat(quietMinute.touched()).isFalse();
        assertThat(quietMinute.wasQuiet()).isFalse();
        assertThat(quietMinute.nothingToReport()).as("the views still hold minute 2").isFalse();
    }

    @Test
    void anAgentIsQuietOnceEveryViewIsEmptyAndNoOpenBucketHoldsAnything() {
        AgentWindows windows = new AgentWindows(VIEWS);
        spendIn(windows, 1);
        assertThat(windows.quiet()).isFalse();
        windows.close(BOT, M, closed);
        for (int minute = 2; minute <= 5; minute++) {
            windows.close(BOT, minute * M, closed);
            assertThat(windows.quiet()).isFalse();
        }
        windows.close(BOT, 6 * M, closed);
        assertThat(windows.quiet()).as("minute 1 left the 5m view").isTrue();
    }

    @Test
    void viewsRebuiltAfterTheirLengthsChangedEqualViewsRolledWithThoseLengthsFromTheStart() {
        AgentWindows before = new AgentWindows(VIEWS);
        long[] changed = {2 * M, 4 * M};
        AgentWindows reference = new AgentWindows(changed);
        InMemoryBuckets referenceBuckets = new InMemoryBuckets();
        for (int minute = 1; minute <= 7; minute++) {
            spendIn(before, minute);
            before.close(BOT, minute * M, closed);
            spendIn(reference, minute);
            reference.close(BOT, minute * M, referenceBuckets);
        }
        before.rebuild(BOT, changed, 8 * M, closed);
        assertThat(before.views().hasLengths(changed)).isTrue();
        assertThat(spend(before, 0)).as("2m: minutes 6-7").isEqualTo(1_300).isEqualTo(spend(reference, 0));
        assertThat(spend(before, 1)).as("4m: minutes 4-7").isEqualTo(2_200).isEqualTo(spend(reference, 1));
        assertThat(closed.byStart.keySet()).as("buckets beyond the new longest view are gone").containsExactly(4 * M, 5 * M, 6 * M, 7 * M);
        for (int minute = 8; minute <= 10; minute++) {
            spendIn(before, minute);
            before.close(BOT, minute * M, closed);
            spendIn(reference, minute);
            reference.close(BOT, minute * M, referenceBuckets);
            assertThat(before.views().sums(0)).isEqualTo(reference.views().sums(0));
            assertThat(before.views().sums(1)).isEqualTo(reference.views().sums(1));
        }
    }

    @Test
    void openBucketsAreFoundByTheirStart() {
        AgentWindows windows = new AgentWindows(VIEWS);
        Figures minute2 = windows.bucket(2 * M);
        assertThat(windows.bucket(2 * M)).isSameAs(minute2);
        for (int minute = 3; minute <= 8; minute++) {
            windows.bucket(minute * M);
        }
        assertThat(windows.openCount()).isEqualTo(7);
        assertThat(windows.bucket(2 * M)).isSameAs(minute2);
    }
}
