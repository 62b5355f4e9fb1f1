package dev.asr.schemas.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.schemas.registry.RestSchemaRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReachabilityIntegrationTest {

    @Test
    void aReachableClusterAndAnAbsentRegistryNameTheRegistry() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        RestSchemaRegistry registry = new RestSchemaRegistry("http://127.0.0.1:" + closed, Optional.empty(), true, Duration.ofSeconds(2));
        try (Reachability reach = new Reachability("test", Map.of("bootstrap.servers", TestKafka.bootstrapServers()), registry).start()) {
            reach.awaitFirstAnswer(Duration.ofSeconds(30));
            assertThat(reach.problem()).startsWith("cannot reach Schema Registry at http://127.0.0.1:" + closed)
                    .endsWith("Check schema.registry.url and that the registry is up");
            assertThat(reach.awaitReached(Duration.ofMillis(100))).isFalse();
        }
    }

    @Test
    void aReachableClusterWithTheEmbeddedRegistryIsReached() throws Exception {
        try (Reachability reach = new Reachability("test", Map.of("bootstrap.servers", TestKafka.bootstrapServers()), null).start()) {
            assertThat(reach.awaitReached(Duration.ofSeconds(30))).isTrue();
            assertThat(reach.problem()).isNull();
        }
    }

    @Test
    void anUnresolvableHostIsNamed() throws Exception {
        try (Reachability reach = new Reachability("test", Map.of("bootstrap.servers", "no-such-host.invalid:9092"), null).start()) {
            reach.awaitFirstAnswer(Duration.ofSeconds(30));
            assertThat(reach.problem()).contains("no-such-host.invalid:9092");
        }
    }
}
