package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class IsoInstantTest {

    @Test
    void readsWhatInstantParseReadsTheSame() {
        Random random = new Random(7);
        for (int i = 0; i < 100_000; i++) {
            Instant instant = Instant.ofEpochSecond(random.nextLong(-62_000_000_000L, 250_000_000_000L), random.nextInt(1_000_000_000));
            for (String text : List.of(instant.toString(), Instant.ofEpochSecond(instant.getEpochSecond()).toString(),
                    Instant.ofEpochMilli(instant.toEpochMilli()).toString())) {
                assertThat(IsoInstant.parse(text)).as(text).isEqualTo(Instant.parse(text));
            }
        }
        for (String text : List.of("2026-11-26T09:00:00Z", "2026-11-26T09:00:00.5Z", "2026-11-26T09:00:00.123456789Z",
                "2024-02-29T23:59:59.999Z", "2026-11-26T09:00:00+01:00", "2026-11-26t09:00:00z", "+12026-11-26T09:00:00Z",
                "1970-01-01T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26T09:00:00.Z", "2026-11-26T23:59:60Z")) {
            assertThat(IsoInstant.parse(text)).as(text).isEqualTo(Instant.parse(text));
        }
    }

    @Test
    void refusesWhatInstantParseRefuses() {
        for (String text : List.of("2026-02-30T09:00:00Z", "2026-13-01T09:00:00Z", "2026-11-26T09:60:00Z",
                "2026-11-26T09:00:00.1234567890Z", "2026-11-26T09:00:0xZ", "2026-11-26 09:00:00Z",
                "2026-11-26T09:00:00", "yesterday", "")) {
            assertThatThrownBy(() -> Instant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
            assertThatThrownBy(() -> IsoInstant.parse(text)).as(text).isInstanceOf(DateTimeParseException.class);
        }
    }
}
