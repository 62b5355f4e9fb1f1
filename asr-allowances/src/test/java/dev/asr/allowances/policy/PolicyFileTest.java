package dev.asr.allowances.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.Band;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFileTest {

    @TempDir
    Path dir;

    @Test
    void theFilesKeysOverrideTheSettingsAndTheDefaults() throws Exception {
        Path file = dir.resolve("allowances.properties");
        Files.writeString(file, "asr.allowance.assisted.limit=300\nasr.allowance.fleet.trading.self-directed.max-spend=500\n");
        AllowancePolicy policy = PolicyFile.read(file, Map.of("asr.allowance.assisted.limit", "250", "asr.allowance.reactive.limit", "30"));
        assertThat(policy.of("any", Band.ASSISTED).limitMicros()).isEqualTo(300_000_000L);
        assertThat(policy.of("any", Band.REACTIVE).limitMicros()).isEqualTo(30_000_000L);
        assertThat(policy.of("trading", Band.SELF_DIRECTED).maxSpendMicros()).isEqualTo(500_000_000L);
        assertThat(policy.of("trading", Band.SELF_DIRECTED).limitMicros()).isEqualTo(2_000_000_000L);
    }

    @Test
    void aChangedFileIsHandedOverAndABrokenOneKeepsThePolicyInForce() throws Exception {
        Path file = dir.resolve("allowances.properties");
        Files.writeString(file, "asr.allowance.assisted.limit=300\n");
        List<AllowancePolicy> used = new CopyOnWriteArrayList<>();
        try (PolicyFile watcher = PolicyFile.watch(file, Map.of(), Duration.ofHours(1), used::add)) {
            watcher.check();
            assertThat(used).as("unchanged content: nothing to hand over").isEmpty();
            Files.writeString(file, "asr.allowance.assisted.limit=400\n");
            watcher.check();
            assertThat(used).hasSize(1);
            assertThat(used.get(0).of("f", Band.ASSISTED).limitMicros()).isEqualTo(400_000_000L);
            Files.writeString(file, "asr.allowance.assisted.limt=500\n");
            watcher.check();
            assertThat(used).hasSize(1);
            assertThat(watcher.problem()).contains(file.toString()).contains("asr.allowance.assisted.limt is not an allowance setting");
            Files.delete(file);
            watcher.check();
            assertThat(watcher.problem()).contains("cannot read the allowance policy file").contains("asr.allowance.policy-file");
            Files.writeString(file, "asr.allowance.assisted.limit=500\n");
            watcher.check();
            assertThat(used).hasSize(2);
            assertThat(watcher.problem()).isNull();
        }
    }

    @Test
    void aMissingFileAtStartIsAnErrorNamingTheSetting() {
        assertThatThrownBy(() -> PolicyFile.read(dir.resolve("absent.properties"), Map.of()))
                .hasMessageContaining("absent.properties").hasMessageContaining("asr.allowance.policy-file");
    }
}
