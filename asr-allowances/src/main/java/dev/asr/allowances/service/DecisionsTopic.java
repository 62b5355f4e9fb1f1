package dev.asr.allowances.service;

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

/** Creates the decisions topic when missing: keyed by agent_id like the others, kept 35 days (a month's decisions, for audit). */
public final class DecisionsTopic {

    static final Duration RETENTION = Duration.ofDays(35);

    private DecisionsTopic() {}

    /** True when this call created it. */
    public static boolean ensure(Admin admin, AllowanceSettings settings, int partitions, short replicationFactor) {
        try {
            if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(settings.decisionsTopic())) {
                return false;
            }
            admin.createTopics(List.of(new NewTopic(settings.decisionsTopic(), partitions, replicationFactor)
                    .configs(Map.of("retention.ms", Long.toString(RETENTION.toMillis()), "min.insync.replicas",
                            Integer.toString(Math.min(2, replicationFactor)))))).all().get(30, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw new KafkaException("cannot create " + settings.decisionsTopic() + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("the Kafka cluster did not answer within 30 s while creating " + settings.decisionsTopic(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating " + settings.decisionsTopic(), e);
        }
    }
}
