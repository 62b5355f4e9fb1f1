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
    void parsesTheSettingsWordsAndNamesTheKeyOtherwise() {
        assertThat(Period.parse("k", " Week ")).isEqualTo(Period.WEEK);
        assertThatThrownBy(() -> Period.parse("asr.allowance.assisted.period", "fortnight"))
                .hasMessage("asr.allowance.assisted.period='fortnight' must be day, week or month");
    }
}
