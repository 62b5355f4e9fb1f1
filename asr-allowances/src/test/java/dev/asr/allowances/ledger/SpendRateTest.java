package dev.asr.allowances.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SpendRateTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:30Z");

    @Test
    void fiveMinuteRateIsTheSpendOfTheLastFiveMinutesOverThreeHundredSeconds() {
        SpendRate rate = new SpendRate();
        rate.add(3_000_000, NOW.minusSeconds(10), NOW);
        rate.add(3_000_000, NOW.minusSeconds(4 * 60), NOW); // 11:56:30, minute 11:56: inside 11:56..12:00
        rate.add(9_000_000, NOW.minusSeconds(5 * 60), NOW); // 11:55:30: outside the five minutes
        assertThat(rate.microsPerSecond(Duration.ofMinutes(5), NOW)).isEqualTo(6_000_000 / 300.0);
        assertThat(rate.microsPerSecond(Duration.ofHours(1), NOW)).isEqualTo(15_000_000 / 3600.0);
    }

    @Test
    void spendInTheSameMinuteSharesOneEntryAndOutOfOrderSpendIsPlacedByItsMinute() {
        SpendRate rate = new SpendRate();
        rate.add(1, NOW, NOW);
        rate.add(2, NOW.minusSeconds(20), NOW);
        rate.add(4, NOW.minusSeconds(600), NOW);
        rate.add(8, NOW.minusSeconds(300), NOW);
        assertThat(rate.minutesKept()).isEqualTo(3);
        assertThat(rate.microsPerSecond(Duration.ofMinutes(30), NOW) * 1800).isEqualTo(15.0);
    }

    @Test
    void spendOlderThanSixHoursIsForgottenAndNotCounted() {
        SpendRate rate = new SpendRate();
        rate.add(5, NOW.minus(Duration.ofHours(6)).minusSeconds(60), NOW);
        assertThat(rate.minutesKept()).isZero();
        rate.add(7, NOW.minus(Duration.ofHours(5)), NOW);
        assertThat(rate.microsPerSecond(Duration.ofHours(6), NOW) * 21_600).isEqualTo(7.0);
        Instant later = NOW.plus(Duration.ofHours(2));
        rate.add(1, later, later);
        assertThat(rate.minutesKept()).as("the minute five hours before NOW is seven hours before later").isEqualTo(1);
    }

    @Test
    void secondsToExhaustionUseTheFasterOfTheFiveMinuteAndHourRates() {
        SpendRate rate = new SpendRate();
        rate.add(36_000_000, NOW.minusSeconds(1800), NOW); // in the hour only: 10,000 micros/s
        assertThat(rate.secondsToExhaustion(100_000_000, NOW)).isEqualTo(10_000.0);
        rate.add(30_000_000, NOW, NOW); // five minutes: 100,000 micros/s; hour: 18,333
        assertThat(rate.secondsToExhaustion(100_000_000, NOW)).isEqualTo(1_000.0);
    }

    @Test
    void exhaustionIsNowWithNothingLeftAndNeverWithoutSpend() {
        SpendRate rate = new SpendRate();
        assertThat(rate.secondsToExhaustion(0, NOW)).isZero();
        assertThat(rate.secondsToExhaustion(1, NOW)).isInfinite();
    }

    @Test
    void spendStampedAheadOfNowCountsInTheCurrentWindows() {
        SpendRate rate = new SpendRate();
        rate.add(600, NOW.plusSeconds(120), NOW);
        assertThat(rate.microsPerSecond(Duration.ofMinutes(5), NOW)).isEqualTo(2.0);
    }

    @Test
    void sumsSaturateInsteadOfOverflowing() {
        SpendRate rate = new SpendRate();
        rate.add(Long.MAX_VALUE, NOW, NOW);
        rate.add(Long.MAX_VALUE, NOW, NOW);
        assertThat(rate.microsPerSecond(Duration.ofMinutes(5), NOW)).isEqualTo(Long.MAX_VALUE / 300.0);
    }
}
