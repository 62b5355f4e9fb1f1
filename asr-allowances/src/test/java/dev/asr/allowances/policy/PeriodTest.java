package dev.asr.allowances.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class PeriodTest {

    @Test
    void aDayRunsFromUtcMidnightToTheNext() {
        Instant lastMilli = Instant.parse("2026-12-01T23:59:59.999Z");
        assertThat(Period.DAY.start(lastMilli)).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(Period.DAY.end(lastMilli)).isEqualTo(Instant.parse("2026-12-02T00:00:00Z"));
        assertThat(Period.DAY.start(Instant.parse("2026-12-02T00:00:00Z"))).isEqualTo(Instant.parse("2026-12-02T00:00:00Z"));
    }

    @Test
    void aWeekStartsOnMondayAndAMonthOnItsFirstDay() {
        Instant tuesday = Instant.parse("2026-12-01T10:00:00Z");
        assertThat(Period.WEEK.start(tuesday)).isEqualTo(Instant.parse("2026-11-30T00:00:00Z"));
        assertThat(Period.WEEK.end(tuesday)).isEqualTo(Instant.parse("2026-12-07T00:00:00Z"));
        assertThat(Period.MONTH.start(Instant.parse("2024-02-29T12:00:00Z"))).isEqualTo(Instant.parse("2024-02-01T00:00:00Z"));
        assertThat(Period.MONTH.end(Instant.parse("2024-02-29T12:00:00Z"))).isEqualTo(Instant.parse("2024-03-01T00:00:00Z"));
    }

    @Test
    void theCurrentPeriodIsAnsweredWithSharedInstantsAndAnotherPeriodAskedInTurnIsNeverAnsweredStale() {
        Instant morning = Instant.parse("2026-12-01T08:00:00Z");
        Instant evening = Instant.parse("2026-12-01T20:00:00Z");
        assertThat(Period.DAY.end(evening)).as("one period: the same instant, not a copy").isSameAs(Period.DAY.end(morning));

        Instant lastNanoOfTheDay = Instant.parse("2026-12-01T23:59:59.999999999Z");
        Instant nextDay = Instant.parse("2026-12-02T00:00:00Z");
        for (int i = 0; i < 3; i++) {
            assertThat(Period.DAY.start(lastNanoOfTheDay)).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
            assertThat(Period.DAY.start(nextDay)).isEqualTo(nextDay);
            assertThat(Period.DAY.end(nextDay)).isEqualTo(Instant.parse("2026-12-03T00:00:00Z"));
        }
        assertThat(Period.DAY.start(Instant.parse("1969-12-31T23:00:00Z"))).as("before the epoch")
                .isEqualTo(Instant.parse("1969-12-31T00:00:00Z"));
        assertThat(Period.MONTH.end(Instant.parse("2026-12-31T23:59:59Z"))).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
    }

    @Test
    void parsesTheSettingsWordsAndNamesTheKeyOtherwise() {
        assertThat(Period.parse("k", " Week ")).isEqualTo(Period.WEEK);
        assertThatThrownBy(() -> Period.parse("asr.allowance.assisted.period", "fortnight"))
                .hasMessage("asr.allowance.assisted.period='fortnight' must be day, week or month");
    }
}
