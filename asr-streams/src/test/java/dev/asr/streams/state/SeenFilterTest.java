package dev.asr.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SeenFilterTest {

    private static long hash(String key) {
        return SeenFilter.hash(key.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void neverAFalseNegativeAcrossEpochsAndGrownFilters() {
        SeenFilter filter = new SeenFilter();
        long[] into = new long[6];
        int keys = 3 * SeenFilter.MIN_KEYS;
        for (int i = 0; i < keys; i++) {
            filter.add(hash("id-" + i), (i % 3) * 1_000L);
        }
        for (int i = 0; i < keys; i++) {
            int found = filter.candidates(hash("id-" + i), into);
            boolean hasItsEpoch = false;
            for (int c = 0; c < found; c++) {
                hasItsEpoch |= into[c] == (i % 3) * 1_000L;
            }
            assertThat(hasItsEpoch).as("id-%d in epoch %d", i, (i % 3) * 1_000).isTrue();
        }
    }

    @Test
    void mostKeysNeverAddedAreRuledOut() {
        SeenFilter filter = new SeenFilter();
        for (int i = 0; i < 100_000; i++) {
            filter.add(hash("id-" + i), 0);
        }
        long[] into = new long[6];
        int maybe = 0;
        for (int i = 0; i < 100_000; i++) {
            maybe += filter.candidates(hash("other-" + i), into);
        }
        assertThat(maybe).as("false positives in 100,000").isLessThan(3_000);
    }

    @Test
    void candidatesComeNewestFirstAndOldEpochsAreDropped() {
        SeenFilter filter = new SeenFilter();
        filter.add(hash("x"), 2_000);
        filter.add(hash("x"), 1_000);
        filter.add(hash("x"), 3_000);
        long[] into = new long[6];
        assertThat(filter.candidates(hash("x"), into)).isEqualTo(3);
        assertThat(into).startsWith(3_000, 2_000, 1_000);
        filter.dropBefore(2_000);
        assertThat(filter.epochs()).isEqualTo(2);
        assertThat(filter.candidates(hash("x"), into)).isEqualTo(2);
    }
}
