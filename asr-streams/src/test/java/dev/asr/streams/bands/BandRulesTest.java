package dev.asr.streams.bands;

import static dev.asr.event.Band.ASSISTED;
import static dev.asr.event.Band.REACTIVE;
import static dev.asr.event.Band.SELF_DIRECTED;
import static dev.asr.event.Band.UNRATED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.Band;
import dev.asr.event.Direction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BandRulesTest {

    private static final BandThresholds DEFAULTS = BandThresholds.DEFAULTS;
    private static final BandThresholds NO_HYSTERESIS = new BandThresholds(0.2, 0.6, 0, 5);

    /** An evidence with ASR = permille / 1000 exactly and enough tasks. */
    private static Evidence asr(int permille) {
        return new Evidence(10, 1_000_000, permille * 1_000L);
    }

    @ParameterizedTest(name = "from {0} at ASR {1}‰ -> {2} (h = 0.05)")
    @CsvSource({
        // first rating: plain thresholds, no hysteresis
        "UNRATED, 0, REACTIVE", "UNRATED, 199, REACTIVE", "UNRATED, 200, ASSISTED", "UNRATED, 599, ASSISTED",
        "UNRATED, 600, SELF_DIRECTED", "UNRATED, 1000, SELF_DIRECTED",
        // REACTIVE moves up only at 0.2 + 0.05
        "REACTIVE, 200, REACTIVE", "REACTIVE, 249, REACTIVE", "REACTIVE, 250, ASSISTED", "REACTIVE, 649, ASSISTED",
        "REACTIVE, 650, SELF_DIRECTED", "REACTIVE, 0, REACTIVE",
        // ASSISTED: down below 0.2 - 0.05, up at 0.6 + 0.05
        "ASSISTED, 150, ASSISTED", "ASSISTED, 149, REACTIVE", "ASSISTED, 0, REACTIVE", "ASSISTED, 600, ASSISTED",
        "ASSISTED, 649, ASSISTED", "ASSISTED, 650, SELF_DIRECTED", "ASSISTED, 1000, SELF_DIRECTED",
        // SELF_DIRECTED: down below 0.6 - 0.05, through ASSISTED's own lower edge
        "SELF_DIRECTED, 550, SELF_DIRECTED", "SELF_DIRECTED, 549, ASSISTED", "SELF_DIRECTED, 150, ASSISTED",
        "SELF_DIRECTED, 149, REACTIVE", "SELF_DIRECTED, 0, REACTIVE", "SELF_DIRECTED, 1000, SELF_DIRECTED",
    })
    void everyEdgeWithHysteresis(Band previous, int permille, Band expected) {
        assertThat(BandRules.evaluate(previous, asr(permille), DEFAULTS)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "from {0} at ASR {1}‰ -> {2} (h = 0)")
    @CsvSource({
        "REACTIVE, 199, REACTIVE", "REACTIVE, 200, ASSISTED", "REACTIVE, 600, SELF_DIRECTED",
        "ASSISTED, 199, REACTIVE", "ASSISTED, 200, ASSISTED", "ASSISTED, 599, ASSISTED", "ASSISTED, 600, SELF_DIRECTED",
        "SELF_DIRECTED, 599, ASSISTED", "SELF_DIRECTED, 600, SELF_DIRECTED", "SELF_DIRECTED, 199, REACTIVE",
    })
    void everyEdgeWithoutHysteresis(Band previous, int permille, Band expected) {
        assertThat(BandRules.evaluate(previous, asr(permille), NO_HYSTERESIS)).isEqualTo(expected);
    }

    @Test
    void withoutHysteresisEveryRatedBandFollowsThePlainThresholds() {
        for (Band previous : Band.values()) {
            for (int permille = 0; permille <= 1000; permille++) {
                assertThat(BandRules.evaluate(previous, asr(permille), NO_HYSTERESIS))
                        .as("from %s at %d‰", previous, permille)
                        .isEqualTo(BandRules.plain(permille / 1000.0, NO_HYSTERESIS));
            }
        }
    }

    @Test
    void withHysteresisABandOnlyChangesOutsideItsWidenedRange() {
        for (Band previous : new Band[] {REACTIVE, ASSISTED, SELF_DIRECTED}) {
            for (int permille = 0; permille <= 1000; permille++) {
                Band next = BandRules.evaluate(previous, asr(permille), DEFAULTS);
                double asr = permille / 1000.0;
                if (next.ordinal() > previous.ordinal()) {
                    assertThat(asr).as("up from %s", previous).isGreaterThanOrEqualTo(upper(previous) + 0.05 - 1e-9);
                } else if (next.ordinal() < previous.ordinal()) {
                    assertThat(asr).as("down from %s", previous).isLessThan(lower(previous) - 0.05);
                } else {
                    assertThat(asr).as("stay in %s", previous).isBetween(lower(previous) - 0.05 - 1e-9, upper(previous) + 0.05);
                }
                // Never further from the plain band than one step, and never the wrong way.
                Band plain = BandRules.plain(asr, DEFAULTS);
                assertThat(Math.abs(next.ordinal() - plain.ordinal())).isLessThanOrEqualTo(1);
            }
        }
    }

    @Test
    void anAgentHoveringAtAThresholdDoesNotFlap() {
        Band band = UNRATED;
        int changes = 0;
        int[] hovering = {600, 590, 612, 580, 640, 560, 601, 599, 649, 551};
        for (int i = 0; i < 200; i++) {
            Band next = BandRules.evaluate(band, asr(hovering[i % hovering.length]), DEFAULTS);
            if (next != band) {
                changes++;
            }
            band = next;
        }
        assertThat(changes).as("only the first rating").isEqualTo(1);
        assertThat(band).isEqualTo(SELF_DIRECTED);
    }

    @Test
    void tooLittleEvidenceIsUnratedFromAnyBand() {
        for (Band previous : Band.values()) {
            assertThat(BandRules.evaluate(previous, new Evidence(4, 1_000_000, 900_000), DEFAULTS)).isEqualTo(UNRATED);
            assertThat(BandRules.evaluate(previous, new Evidence(5, 1_000_000, 900_000), DEFAULTS)).isNotEqualTo(UNRATED);
            assertThat(BandRules.evaluate(previous, new Evidence(50, 0, 0), DEFAULTS)).as("zero spend").isEqualTo(UNRATED);
        }
        assertThat(new Evidence(50, 0, 0).asr()).isNull();
    }

    @Test
    void minimumEvidenceIsConfigurable() {
        BandThresholds strict = new BandThresholds(0.2, 0.6, 0.05, 20);
        assertThat(BandRules.evaluate(UNRATED, new Evidence(19, 100, 90), strict)).isEqualTo(UNRATED);
        assertThat(BandRules.evaluate(UNRATED, new Evidence(20, 100, 90), strict)).isEqualTo(SELF_DIRECTED);
    }

    @Test
    void directions() {
        assertThat(BandRules.direction(UNRATED, REACTIVE)).isEqualTo(Direction.RATED);
        assertThat(BandRules.direction(UNRATED, SELF_DIRECTED)).isEqualTo(Direction.RATED);
        assertThat(BandRules.direction(ASSISTED, UNRATED)).as("going quiet is not a drop").isEqualTo(Direction.UNRATED);
        assertThat(BandRules.direction(ASSISTED, SELF_DIRECTED)).isEqualTo(Direction.UP);
        assertThat(BandRules.direction(SELF_DIRECTED, REACTIVE)).isEqualTo(Direction.DOWN);
    }

    @Test
    void refusesThresholdsThatCannotWork() {
        assertThatThrownBy(() -> new BandThresholds(0.6, 0.2, 0.05, 5)).hasMessageContaining("0 < assisted-from (0.6) < self-directed-from (0.2)");
        assertThatThrownBy(() -> new BandThresholds(0.2, 0.6, 0.3, 5)).hasMessageContaining("hysteresis 0.3");
        assertThatThrownBy(() -> new BandThresholds(0.2, 0.6, 0.05, 0)).hasMessageContaining("min-tasks must be at least 1");
    }

    @Test
    void fleetsCanOverrideTheDefaults() {
        BandThresholds trading = new BandThresholds(0.3, 0.8, 0.02, 10);
        BandPolicy policy = new BandPolicy(DEFAULTS, java.util.Map.of("trading", trading));
        assertThat(policy.forFleet("trading")).isEqualTo(trading);
        assertThat(policy.forFleet("support")).isEqualTo(DEFAULTS);
    }

    private static double lower(Band band) {
        return switch (band) {
            case SELF_DIRECTED -> 0.6;
            case ASSISTED -> 0.2;
            default -> 0;
        };
    }

    private static double upper(Band band) {
        return switch (band) {
            case REACTIVE -> 0.2;
            case ASSISTED -> 0.6;
            default -> 1;
        };
    }
}
