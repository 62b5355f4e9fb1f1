package dev.asr.allowances.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HoldsTest {

    private static final Instant NOON = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void addingReplacingAndRemovingKeepTheTotalAndLeaveOlderValuesAsTheyWere() {
        Holds one = Holds.NONE.with(new Hold("a", 5, NOON));
        Holds two = one.with(new Hold("b", 7, NOON.plusSeconds(60)));
        Holds replaced = two.with(new Hold("a", 1, NOON.plusSeconds(120)));
        assertThat(one.totalMicros()).isEqualTo(5);
        assertThat(two.totalMicros()).isEqualTo(12);
        assertThat(replaced.totalMicros()).as("a hold of the same id replaces the first").isEqualTo(8);
        assertThat(replaced.size()).isEqualTo(2);
        assertThat(replaced.without("b").totalMicros()).isEqualTo(1);
        assertThat(replaced.without("zzz")).as("no such hold: the same value").isSameAs(replaced);
        assertThat(two.get("a")).isEqualTo(new Hold("a", 5, NOON));
        assertThat(Holds.NONE.isEmpty()).isTrue();
    }

    @Test
    void aHoldExpiresAtItsExpiryInstantNotBefore() {
        Holds holds = Holds.of(new Hold("a", 5, NOON), new Hold("b", 7, NOON.plusSeconds(60)));
        assertThat(holds.withoutExpired(NOON.minusNanos(1))).isSameAs(holds);
        assertThat(holds.withoutExpired(NOON).asMap()).containsOnlyKeys("b");
        assertThat(holds.withoutExpired(NOON.plusSeconds(60)).isEmpty()).isTrue();
    }

    @Test
    void theSameHoldsMakeEqualValuesWhateverTheOrderTheyCameIn() {
        Holds forward = Holds.of(new Hold("a", 1, NOON), new Hold("b", 2, NOON), new Hold("c", 3, NOON));
        Holds backward = Holds.of(new Hold("c", 3, NOON), new Hold("b", 2, NOON), new Hold("a", 1, NOON));
        assertThat(forward).isEqualTo(backward).hasSameHashCodeAs(backward);
        assertThat(forward).isNotEqualTo(backward.without("a"));
    }

    /** Thousands of random operations agree with a plain map at every step. */
    @Test
    void agreesWithAPlainMapUnderRandomOperations() {
        Random random = new Random(5);
        Holds holds = Holds.NONE;
        Map<String, Hold> model = new HashMap<>();
        Instant now = NOON;
        for (int step = 0; step < 20_000; step++) {
            int what = random.nextInt(10);
            if (what < 6) {
                Hold hold = new Hold("h" + random.nextInt(2_000), 1 + random.nextInt(1_000), now.plusSeconds(random.nextInt(600)));
                holds = holds.with(hold);
                model.put(hold.authorizationId(), hold);
            } else if (what < 9) {
                String id = "h" + random.nextInt(2_000);
                holds = holds.without(id);
                model.remove(id);
            } else {
                now = now.plusSeconds(random.nextInt(30));
                Instant at = now;
                holds = holds.withoutExpired(at);
                model.values().removeIf(hold -> !hold.expiresAt().isAfter(at));
            }
            assertThat(holds.size()).isEqualTo(model.size());
            assertThat(holds.totalMicros()).isEqualTo(model.values().stream().mapToLong(Hold::amountMicros).sum());
        }
        assertThat(holds.asMap()).isEqualTo(new TreeMap<>(model));
    }
}
