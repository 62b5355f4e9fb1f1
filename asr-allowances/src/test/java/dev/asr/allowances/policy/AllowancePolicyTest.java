package dev.asr.allowances.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.Band;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AllowancePolicyTest {

    @Test
    void defaultsGiveEveryBandAnAllowanceTheSelfDirectedTenTimesTheAssisted() {
        AllowancePolicy policy = AllowancePolicy.defaults();
        assertThat(policy.of("any", Band.UNRATED)).isEqualTo(new BandAllowance(20_000_000, Period.DAY, 2_000_000, 1_000_000, Mode.AUTONOMOUS));
        assertThat(policy.of("any", Band.REACTIVE).mode()).isEqualTo(Mode.PROPOSE_ONLY);
        assertThat(policy.of("any", Band.ASSISTED)).isEqualTo(new BandAllowance(200_000_000, Period.DAY, 20_000_000, 10_000_000,
                Mode.AUTONOMOUS));
        assertThat(policy.of("any", Band.SELF_DIRECTED).limitMicros()).isEqualTo(10 * policy.of("any", Band.ASSISTED).limitMicros());
    }

    @Test
    void aFleetOverridesOneSettingAndKeepsTheRestOfTheGeneralPolicy() {
        AllowancePolicy policy = AllowancePolicy.from(Map.of(
                "asr.allowance.assisted.limit", "500",
                "asr.allowance.assisted.period", "week",
                "asr.allowance.fleet.trading.desk.self-directed.max-spend", "10000000",
                "asr.allowance.fleet.trading.desk.self-directed.review-above", "1000000.5",
                "asr.allowance.fleet.trading.desk.reactive.mode", "autonomous"));
        assertThat(policy.of("support", Band.ASSISTED)).isEqualTo(new BandAllowance(500_000_000, Period.WEEK, 20_000_000, 10_000_000,
                Mode.AUTONOMOUS));
        assertThat(policy.of("trading.desk", Band.SELF_DIRECTED)).isEqualTo(new BandAllowance(2_000_000_000L, Period.DAY,
                10_000_000_000_000L, 1_000_000_500_000L, Mode.AUTONOMOUS));
        assertThat(policy.of("trading.desk", Band.ASSISTED).limitMicros()).as("the general override reaches the fleet too")
                .isEqualTo(500_000_000);
        assertThat(policy.of("trading.desk", Band.REACTIVE).mode()).isEqualTo(Mode.AUTONOMOUS);
        assertThat(policy.of("support", Band.REACTIVE).mode()).isEqualTo(Mode.PROPOSE_ONLY);
    }

    @Test
    void amountsAreExactMicrosAndBadOnesNameTheKey() {
        assertThat(AllowancePolicy.micros("k", "0.000001")).isEqualTo(1);
        assertThat(AllowancePolicy.micros("k", "1234.5")).isEqualTo(1_234_500_000);
        assertThatThrownBy(() -> AllowancePolicy.micros("asr.allowance.assisted.limit", "0.0000001"))
                .hasMessage("asr.allowance.assisted.limit='0.0000001' is not an amount of currency units with at most six decimals,"
                        + " e.g. 250 or 0.25");
        assertThatThrownBy(() -> AllowancePolicy.from(Map.of("asr.allowance.assisted.limit", "-5")))
                .hasMessage("asr.allowance.assisted.limit='-5' must not be negative");
        assertThatThrownBy(() -> AllowancePolicy.from(Map.of("asr.allowance.fleet.ops.assisted.mode", "yolo")))
                .hasMessage("asr.allowance.fleet.ops.assisted.mode='yolo' must be autonomous or propose-only");
    }

    @Test
    void anUnknownBandOrSettingIsAnErrorNotIgnored() {
        assertThatThrownBy(() -> AllowancePolicy.from(Map.of("asr.allowance.autonomous.limit", "5")))
                .hasMessageContaining("'autonomous' is not a band: use unrated, reactive, assisted or self-directed");
        assertThatThrownBy(() -> AllowancePolicy.from(Map.of("asr.allowance.assisted.budget", "5")))
                .hasMessageStartingWith("asr.allowance.assisted.budget is not an allowance setting");
    }
}
