package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.app.cluster.BrokerCluster;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.sdk.AsrClient;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.testing.TestTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-node KRaft cluster on this machine, each node its own process ({@code asr broker
 * --nodes 3}'s {@link BrokerCluster}): provisioning chooses three replicas and {@code
 * min.insync.replicas=2} from the cluster's size; a node killed with SIGKILL while events are
 * written (acks=all) loses none of the acknowledged ones, writes go on with two nodes, and the node
 * rejoins on its data.
 */
class ThreeBrokerClusterIntegrationTest {

    @TempDir
    Path directory;

    @Test
    void provisionsReplicatedTopicsAndLosesNoAcknowledgedEventWhenANodeIsKilled() throws Exception {
        ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
        try (BrokerCluster cluster = BrokerCluster.start(3, directory.resolve("cluster"), "localhost", 0, List.of("-Xmx384m"), line -> {
            output.add(line);
            while (output.size() > 200) {
                output.poll();
            }
        })) {
            String bootstrap = cluster.bootstrapServers();
            TopicNames names = TestTopics.fresh();
            Topics topics = Topics.create(names, new EmbeddedSchemaRegistry(directory.resolve("schemas")));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                TopicProvisioner provisioner = new TopicProvisioner(admin);
                TopicProvisioner.Replication replication = provisioner.replication();
                assertThat(replication).as("chosen from the cluster's size").isEqualTo(new TopicProvisioner.Replication((short) 3, 2));
                assertThat(replication.describe(3)).isEqualTo("replication factor 3, min.insync.replicas=2 (a cluster of 3 brokers)");
                provisioner.ensure(topics, 3, replication.factor());
                TopicDescription spend = admin.describeTopics(List.of(names.spend())).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(names.spend());
                assertThat(spend.partitions()).hasSize(3).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, names.spend());
                Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
                assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
            }

            AsrClientSettings settings = AsrClientSettings.of(bootstrap, RegistrySettings.embedded(directory.resolve("schemas")))
                    .withTopics(names);
            List<String> acknowledged = new ArrayList<>();
            int failed = 0;
            try (AsrClient client = AsrClient.create(settings)) {
                for (int round = 0; round < 30; round++) {
                    if (round == 10) {
                        cluster.kill(2);
                    }
                    if (round == 20) {
                        assertThat(cluster.alive(2)).isFalse();
                        cluster.restart(2);
                    }
                    List<SpendEvent> batch = new ArrayList<>();
                    for (int i = 0; i < 200; i++) {
                        batch.add(event("r" + round + "-" + i));
                    }
                    try {
                        client.sendAll(batch).get(2, TimeUnit.MINUTES);
                        batch.forEach(e -> acknowledged.add(e.getEventId()));
                    } catch (Exception e) {
                        failed++;
                    }
                }
            }
            assertThat(failed).as("two of three nodes take every write (min.insync.replicas=2); node output:%n%s", String.join("\n", output))
                    .isZero();
            Map<String, Integer> copies = new HashMap<>();
            for (ConsumerRecord<byte[], byte[]> record : TestTopics.records(bootstrap, names.spend())) {
                copies.merge(topics.spend().valueSerde().deserializer().deserialize(names.spend(), record.value()).getEventId(), 1,
                        Integer::sum);
            }
            assertThat(copies.keySet()).as("every acknowledged event").containsAll(acknowledged);
            assertThat(copies.values()).as("each once (idempotent producer)").containsOnly(1);
            assertThat(acknowledged).hasSize(6_000);

            // The restarted node caught up: it is back in every partition's in-sync replicas.
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (true) {
                    TopicDescription spend = admin.describeTopics(List.of(names.spend())).allTopicNames().get(30, TimeUnit.SECONDS)
                            .get(names.spend());
                    if (spend.partitions().stream().allMatch(p -> p.isr().size() == 3)) {
                        break;
                    }
                    assertThat(System.nanoTime()).as("node 2 back in sync within 60 s: %s", spend).isLessThan(deadline);
                    Thread.sleep(500);
                }
            }
        }
    }

    private static SpendEvent event(String id) {
        return SpendEvent.newBuilder().setEventId(id).setAgentId("agent-" + (id.hashCode() & 7)).setFleet("cluster").setTaskId(null)
                .setKind(SpendKind.INFERENCE).setCostMicros(1_000).setInputTokens(10).setOutputTokens(5).setModel("m").setTool(null)
                .setCurrency("USD").setOccurredAt(Instant.now()).setAttributes(Map.of()).setAuthorizationId(null).build();
    }
}
