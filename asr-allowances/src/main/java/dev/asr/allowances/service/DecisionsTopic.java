package dev.asr.allowances.service;

import dev.asr.schemas.TopicProvisioner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the allowance topics when missing: the decisions and the allowance events, keyed by
 * agent_id like the others, kept 35 days (a month's, for audit and for restoring the announcements
 * of the current period).
 */
public final class DecisionsTopic {

    static final Duration RETENTION = Duration.ofDays(35);

    private DecisionsTopic() {}

    /** True when this call created either. */
    public static boolean ensure(Admin admin, AllowanceSettings settings, int partitions, short replicationFactor) {
        boolean created = false;
        for (String topic : List.of(settings.decisionsTopic(), settings.eventsTopic())) {
            created |= ensure(admin, topic, partitions, replicationFactor);
        }
        return created;
    }

    private static boolean ensure(Admin admin, String topic, int partitions, short replicationFactor) {
        try {
            if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
                return false;
            }
            admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor)
                    .configs(Map.of("retention.ms", Long.toString(RETENTION.toMillis()), "min.insync.replicas",
                            Integer.toString(TopicProvisioner.minInSync(replicationFactor)))))).all().get(30, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw new KafkaException("cannot create " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("the Kafka cluster did not answer within 30 s while creating " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating " + topic, e);
        }
    }
}
