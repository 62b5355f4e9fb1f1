package dev.asr.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Settings that would break a guarantee are refused at start, naming the keys. */
class StreamsSettingsTest {

    @Test
    void theDefaultsHoldTogether() {
        StreamsSettings settings = StreamsSettings.defaults();
        assertThat(settings.fleetMaxWait()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.dedupRetention()).isEqualTo(Duration.ofHours(24));
        assertThat(settings.currency()).isEqualTo("USD");
    }

    @Test
    void aFleetWaitShorterThanTheClockSkewPlusABucketIsRefused() {
        assertThatThrownBy(() -> StreamsSettings.from(Map.of("asr.fleet.max-wait", "5m")))
                .hasMessageContaining("asr.fleet.max-wait=5m must be at least asr.max-clock-skew + asr.bucket (6m)")
                .hasMessageContaining("an agent stamping events up to asr.max-clock-skew ahead");
        assertThat(StreamsSettings.from(Map.of("asr.fleet.max-wait", "2m", "asr.max-clock-skew", "1m")).fleetMaxWait())
                .isEqualTo(Duration.ofMinutes(2));
    }

    @Test
    void aLongestViewShorterThanABucketPlusTheGracePeriodIsRefused() {
        assertThatThrownBy(() -> StreamsSettings.from(Map.of("asr.views", "2m", "asr.band.view", "2m")))
                .hasMessageContaining("the longest of asr.views (2m) must be at least asr.bucket + asr.grace (3m)");
    }

    @Test
    void aTimeoutNoLongerThanABucketPlusTheGracePeriodIsRefused() {
        assertThatThrownBy(() -> StreamsSettings.from(Map.of("asr.task.timeout", "3m")))
                .hasMessageContaining("asr.task.timeout=3m must be longer than asr.bucket + asr.grace (3m)");
    }
}
