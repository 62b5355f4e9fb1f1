package dev.asr.schemas.testing;

import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.SchemaRegistry;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;

/**
 * Topics for one integration test on a shared broker: names of its own (so tests never read each
 * other's records), created with one replica. Shipped in asr-schemas' test-jar for every module.
 */
public final class TestTopics {

    private TestTopics() {}

    /** Names no other test uses: {@code spend-1a2b3c4d}, {@code outcomes-1a2b3c4d}... */
    public static TopicNames fresh() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        return new TopicNames("spend-" + run, "outcomes-" + run, "metrics-" + run, "transitions-" + run, "dlq-" + run);
    }

    /** Creates the topics (those missing) on the broker, each with {@code partitions} and one replica. */
    public static Topics create(String bootstrapServers, TopicNames names, SchemaRegistry registry, int partitions) throws Exception {
        Topics topics = Topics.create(names, registry);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            new TopicProvisioner(admin).ensure(topics, partitions, (short) 1);
        }
        return topics;
    }
}
