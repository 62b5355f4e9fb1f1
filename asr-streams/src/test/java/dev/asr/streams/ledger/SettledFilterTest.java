package dev.asr.streams.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SettledFilterTest {

    private static final long MINUTE = 60_000;

    @Test
    void neverForgetsAKeyItHoldsAndRarelyClaimsOneItDoesNot() {
        SettledFilter filter = new SettledFilter(60 * MINUTE);
        SplittableRandom random = new SplittableRandom(11);
        int keys = 300_000;
        for (int i = 0; i < keys; i++) {
            // Times jitter backwards and forwards, as outcomes and timeouts interleave.
            filter.add("agent-" + (i % 500) + "\u001ftask-" + i, i * 10L + random.nextInt(-5_000, 5_000));
        }
        for (int i = 0; i < keys; i++) {
            assertThat(filter.mightContain("agent-" + (i % 500) + "\u001ftask-" + i)).as("key %d", i).isTrue();
        }
        int falsePositives = 0;
        for (int i = 0; i < 100_000; i++) {
            if (filter.mightContain("agent-" + (i % 500) + "\u001fother-" + i)) {
                falsePositives++;
            }
        }
        assertThat(falsePositives).as("false positives in 100,000 keys never added").isLessThan(3_000);
    }

    @Test
    void dropsAGenerationOnlyWhenEveryKeyInItIsOlderThanAsked() {
        SettledFilter filter = new SettledFilter(10 * MINUTE);
        filter.add("early", 0);
        filter.add("late-in-first", 9 * MINUTE);
        filter.add("second", 12 * MINUTE);
        assertThat(filter.generations()).isEqualTo(2);

        filter.dropBefore(9 * MINUTE);
        assertThat(filter.mightContain("early")).as("its generation also holds a key at 9 min").isTrue();
        filter.dropBefore(9 * MINUTE + 1);
        assertThat(filter.generations()).isEqualTo(1);
        assertThat(filter.mightContain("second")).isTrue();
        assertThat(filter.mightContain("early")).isFalse();
    }

    @Test
    void aFullGenerationStartsABiggerOneAndAQuietOneStaysSmall() {
        SettledFilter filter = new SettledFilter(1_000 * MINUTE);
        for (int i = 0; i <= SettledFilter.MIN_KEYS; i++) {
            filter.add("task-" + i, i);
        }
        assertThat(filter.generations()).isEqualTo(2);
        for (int i = 0; i <= SettledFilter.MIN_KEYS; i++) {
            assertThat(filter.mightContain("task-" + i)).isTrue();
        }
        filter.clear();
        assertThat(filter.mightContain("task-1")).isFalse();
    }
}
