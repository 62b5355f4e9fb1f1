package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {

    @Test
    void readsDurationsAsPeopleWriteThem() {
        assertThat(DurationConverter.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(DurationConverter.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(DurationConverter.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(DurationConverter.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(DurationConverter.parse("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(DurationConverter.parse("PT45S")).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void namesTheBadValueAndShowsTheForm() {
        for (String bad : new String[] {"30", "s", "5 minutes", "1h-3m", "", "P1X"}) {
            assertThatThrownBy(() -> DurationConverter.parse(bad))
                    .isInstanceOf(CommandLine.TypeConversionException.class)
                    .hasMessage("'" + bad + "' is not a duration: write e.g. 30s, 5m, 2h or 1h30m");
        }
    }
}
