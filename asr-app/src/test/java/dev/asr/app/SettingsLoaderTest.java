package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {

    @Test
    void flagsOverrideEnvironmentWhichOverridesTheFile(@TempDir Path directory) throws Exception {
        Path file = directory.resolve("asr.properties");
        Files.writeString(file, """
                bootstrap.servers=file:9092
                schema.registry.url=http://file:8081
                asr.topic.spend=spend.from.file
                security.protocol=SSL
                """);
        Map<String, String> environment = Map.of(
                "ASR_SCHEMA_REGISTRY_URL", "http://env:8081",
                "ASR_TOPIC_SPEND", "spend.from.env",
                "ASR_KAFKA_SASL_MECHANISM", "PLAIN",
                "PATH", "/usr/bin");
        Map<String, String> flags = new HashMap<>();
        flags.put("bootstrap.servers", "flag:9092");
        flags.put("schema.registry.url", null);

        Map<String, String> settings = SettingsLoader.load(file, environment, flags);

        assertThat(settings)
                .containsEntry("bootstrap.servers", "flag:9092")
                .containsEntry("schema.registry.url", "http://env:8081")
                .containsEntry("asr.topic.spend", "spend.from.env")
                .containsEntry("security.protocol", "SSL")
                .containsEntry("sasl.mechanism", "PLAIN")
                .doesNotContainKey("path");
        assertThat(SettingsLoader.kafkaClientConfig(settings))
                .containsOnlyKeys("bootstrap.servers", "security.protocol", "sasl.mechanism");
    }

    @Test
    void environmentNamesFollowTheKeys() {
        assertThat(SettingsLoader.environmentName("schema.registry.basic.auth.user.info")).isEqualTo("ASR_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO");
        assertThat(SettingsLoader.environmentName("asr.topic.band-transitions")).isEqualTo("ASR_TOPIC_BAND_TRANSITIONS");
    }

    @Test
    void saysHowToSetTheBootstrapServers() {
        assertThatThrownBy(() -> SettingsLoader.kafkaClientConfig(Map.of()))
                .hasMessageContaining("bootstrap.servers is not set: pass --bootstrap-servers, set ASR_BOOTSTRAP_SERVERS");
    }

    @Test
    void namesAMissingConfigFile(@TempDir Path directory) {
        Path missing = directory.resolve("nope.properties");
        assertThatThrownBy(() -> SettingsLoader.load(missing, Map.of(), Map.of()))
                .hasMessage("config file " + missing.toAbsolutePath() + " does not exist: check --config");
    }

    @Test
    void theReadmeDocumentsEveryKeyWithItsEnvironmentVariable() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        for (String key : SettingsLoader.KNOWN_KEYS) {
            assertThat(readme).as("the README's settings table").contains("| `" + key + "` | `" + SettingsLoader.environmentName(key) + "` |");
        }
    }

    @Test
    void everyEnvironmentVariableTheReadmeDocumentsIsRead() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^\\| `([a-z][a-z0-9.-]+)` \\| `(ASR_[A-Z_]+)` \\|").matcher(readme);
        int rows = 0;
        while (row.find()) {
            rows++;
            assertThat(SettingsLoader.load(null, Map.of(row.group(2), "x"), Map.of())).as("%s sets %s", row.group(2), row.group(1))
                    .containsEntry(row.group(1), "x");
        }
        assertThat(rows).as("rows of the settings table").isGreaterThanOrEqualTo(50);
    }
}
