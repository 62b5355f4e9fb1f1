package dev.asr.allowances.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.Band;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ThresholdsTest {

    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");

    private static CashView view(long limit, long spent, long held) {
        return new CashView(Band.ASSISTED, START, START.plusSeconds(86_400), limit, spent, held);
    }

    @Test
    void eachPercentIsReachedAtItsExactAmountSpentAndHeldTogether() {
        assertThat(Thresholds.threshold(200_000_000, 50)).isEqualTo(100_000_000);
        assertThat(Thresholds.threshold(3, 50)).as("1.5 micros rounds up").isEqualTo(2);
        assertThat(Thresholds.threshold(Long.MAX_VALUE, 100)).isEqualTo(Long.MAX_VALUE);
        assertThat(Thresholds.newlyCrossed(view(200_000_000, 99_999_999, 0), 0)).isEmpty();
        assertThat(Thresholds.newlyCrossed(view(200_000_000, 60_000_000, 40_000_000), 0)).containsExactly(50);
        assertThat(Thresholds.newlyCrossed(view(200_000_000, 190_000_000, 0), 0)).containsExactly(50, 80, 95);
        assertThat(Thresholds.newlyCrossed(view(200_000_000, 200_000_000, 0), 0)).containsExactly(50, 80, 95, 100);
    }

    @Test
    void aPercentAnnouncedThisPeriodIsNotAnnouncedAgain() {
        int announced = Thresholds.bit(50) | Thresholds.bit(80);
        assertThat(Thresholds.newlyCrossed(view(200_000_000, 195_000_000, 0), announced)).containsExactly(95);
        assertThat(Thresholds.newlyExhausted(view(200_000_000, 150_000_000, 50_000_000), 0)).isTrue();
        assertThat(Thresholds.newlyExhausted(view(200_000_000, 150_000_000, 50_000_000), Thresholds.EXHAUSTED_BIT)).isFalse();
        assertThat(Thresholds.newlyExhausted(view(200_000_000, 150_000_000, 49_999_999), 0)).isFalse();
    }

    @Test
    void aZeroLimitIsUsedUpFromTheStart() {
        assertThat(Thresholds.newlyCrossed(view(0, 0, 0), 0)).containsExactly(50, 80, 95, 100);
        assertThat(view(0, 0, 0).exhausted()).isTrue();
    }
}
