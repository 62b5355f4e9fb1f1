package dev.asr.allowances.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class AllowanceSettingsTest {

    @Test
    void oneGatewayDecidesForEveryAgentUnlessItAdvertisesAUrl() {
        AllowanceSettings alone = AllowanceSettings.from(Map.of());
        assertThat(alone.shared()).isFalse();
        assertThat(alone.group()).isEqualTo("asr-allowances");
        assertThat(alone.sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
        AllowanceSettings shared = AllowanceSettings.from(Map.of("asr.allowance.advertised-url", " http://gateway-1:8080/ ",
                "asr.allowance.group", "deciders", "asr.allowance.session-timeout", "6s"));
        assertThat(shared.shared()).isTrue();
        assertThat(shared.advertisedUrl()).isEqualTo("http://gateway-1:8080");
        assertThat(shared.group()).isEqualTo("deciders");
        assertThat(shared.sessionTimeout()).isEqualTo(Duration.ofSeconds(6));
        // Not policy keys: the policy, which refuses keys it does not know, never sees them.
        assertThat(shared.policySettings()).doesNotContainKeys("asr.allowance.advertised-url", "asr.allowance.group",
                "asr.allowance.session-timeout");
    }

    @Test
    void anAdvertisedUrlWithAPathOrNoSchemeAndABadGroupAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> AllowanceSettings.from(Map.of("asr.allowance.advertised-url", "gateway-1:8080")))
                .hasMessageContaining("asr.allowance.advertised-url='gateway-1:8080'").hasMessageContaining("http://gateway-1:8080");
        assertThatThrownBy(() -> AllowanceSettings.from(Map.of("asr.allowance.advertised-url", "http://gateway-1:8080/v1")))
                .hasMessageContaining("scheme, host and port only");
        assertThatThrownBy(() -> AllowanceSettings.from(Map.of("asr.allowance.group", "two words")))
                .hasMessageContaining("asr.allowance.group='two words'");
        assertThatThrownBy(() -> AllowanceSettings.from(Map.of("asr.allowance.session-timeout", "500ms")))
                .hasMessageContaining("asr.allowance.session-timeout=500ms must be at least 1s");
    }

    /** A gateway decides for the partitions its agents' decisions go to: where Kafka's producer puts a key. */
    @Test
    void anAgentsPartitionIsTheOneKafkasDefaultPartitionerGivesItsKey() {
        for (String agent : new String[] {"bot-1", "trading-bot-01", "ünïcode", ""}) {
            for (int partitions : new int[] {1, 3, 4, 12}) {
                assertThat(Ownership.partition(agent, partitions)).as("%s over %d", agent, partitions)
                        .isEqualTo(BuiltInPartitioner.partitionForKey(agent.getBytes(StandardCharsets.UTF_8), partitions));
            }
        }
    }
}
