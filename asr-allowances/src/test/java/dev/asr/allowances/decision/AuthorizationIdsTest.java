package dev.asr.allowances.decision;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AuthorizationIdsTest {

    /** 2026-12-02T12:00:00Z in Unix milliseconds. */
    private static final long NOON = 1_796_212_800_000L;

    @Test
    void anIdIsAVersion7UuidWhoseFirst48BitsAreItsMillisecond() {
        UUID id = UUID.fromString(AuthorizationIds.next(NOON + 1_000_000_000L));

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).as("the millisecond").isGreaterThanOrEqualTo(NOON + 1_000_000_000L);
    }

    @Test
    void idsMadeOneAfterAnotherSortAsStringsInTheOrderTheyWereMade() {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            made.add(AuthorizationIds.next(NOON + 2_000_000_000L + i / 100));
        }

        assertThat(made).isSortedAccordingTo(String::compareTo).doesNotHaveDuplicates();
    }

    @Test
    void moreThan4096IdsInOneMillisecondAndAClockGoingBackStillGoUp() {
        String before = AuthorizationIds.next(NOON + 3_000_000_000L);
        List<String> made = new ArrayList<>(List.of(before));
        for (int i = 0; i < 10_000; i++) {
            made.add(AuthorizationIds.next(NOON + 3_000_000_000L));
        }
        made.add(AuthorizationIds.next(NOON + 2_999_999_000L));

        assertThat(made).isSortedAccordingTo(String::compareTo).doesNotHaveDuplicates();
    }

    @Test
    void idsMadeTogetherOnSeveralThreadsAreAllDifferent() throws Exception {
        List<String> made = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 5_000; i++) {
                    made.add(AuthorizationIds.next());
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(made).hasSize(20_000).doesNotHaveDuplicates();
    }
}
