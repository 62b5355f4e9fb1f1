package dev.asr.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates the ASR topics that are missing and checks the ones that exist: the input topics must
 * have the same partition count, or an agent's spend and outcomes would meet in different tasks.
 */
public final class TopicProvisioner {

    private static final long DAY_MS = Duration.ofDays(1).toMillis();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final Admin admin;

    public TopicProvisioner(Admin admin) {
        this.admin = admin;
    }

    /**
     * How topics are replicated on a cluster: three replicas where there are three brokers or more,
     * of which two must have a write before it is acknowledged (one broker may be down, or cut off,
     * and nothing acknowledged is lost); fewer brokers, as many replicas as brokers and one in sync.
     */
    public record Replication(short factor, int minInSync) {

        public static Replication forCluster(int brokers) {
            short factor = (short) Math.max(1, Math.min(3, brokers));
            return new Replication(factor, TopicProvisioner.minInSync(factor));
        }

        /** For the log: what was chosen and why. */
        public String describe(int brokers) {
            return "replication factor " + factor + ", min.insync.replicas=" + minInSync + " (a cluster of " + brokers + " broker"
                    + (brokers == 1 ? "" : "s") + ")";
        }
    }

    /** The {@code min.insync.replicas} for {@code factor} replicas: 2 of 3 or more, else 1. */
    public static int minInSync(short factor) {
        return factor >= 3 ? 2 : 1;
    }

    /** The replication this cluster allows ({@link Replication#forCluster}), asked of the cluster. */
    public Replication replication() {
        try {
            int brokers = admin.describeCluster().nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size();
            return Replication.forCluster(brokers);
        } catch (ExecutionException e) {
            throw new KafkaException("cannot ask the cluster its size: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("the Kafka cluster did not answer within " + TIMEOUT.toSeconds() + " s: check bootstrap.servers", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while asking the cluster its size", e);
        }
    }

    /**
     * @param partitions partitions of every topic (the unit of Streams parallelism)
     * @param replicationFactor replicas per partition (1 on a single broker, 3 in production)
     * @return the names of the topics this call created
     */
    public List<String> ensure(Topics topics, int partitions, short replicationFactor) {
        Map<String, NewTopic> wanted = new HashMap<>();
        for (Topic<?, ?> topic : topics.all()) {
            wanted.put(topic.name(), new NewTopic(topic.name(), partitions, replicationFactor)
                    .configs(configFor(topics, topic, minInSync(replicationFactor))));
        }
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            List<String> created = new ArrayList<>();
            for (NewTopic topic : wanted.values()) {
                if (existing.contains(topic.name())) {
                    continue;
                }
                try {
                    admin.createTopics(List.of(topic)).all().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(topic.name());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            checkCoPartitioned(topics);
            return created;
        } catch (ExecutionException e) {
            throw new KafkaException("cannot create the ASR topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("the Kafka cluster did not answer within " + TIMEOUT.toSeconds()
                    + " s while creating the ASR topics: check bootstrap.servers and that the brokers are up", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while creating the ASR topics", e);
        }
    }

    /** Checks, without creating anything, that every ASR topic exists and the inputs are co-partitioned. */
    public void verify(Topics topics) {
        try {
            List<String> missing = missing(topics);
            // A topic created a moment ago may not be in every broker's metadata yet.
            for (int attempt = 0; attempt < 20 && !missing.isEmpty(); attempt++) {
                Thread.sleep(250);
                missing = missing(topics);
            }
            if (!missing.isEmpty()) {
                throw new KafkaException("topics " + missing + " do not exist: create them (asr streams --create-topics <partitions>"
                        + " does), or point asr.topic.* at the topics you use");
            }
            checkCoPartitioned(topics);
        } catch (ExecutionException e) {
            throw new KafkaException("cannot check the ASR topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaException("the Kafka cluster did not answer within " + TIMEOUT.toSeconds()
                    + " s while checking the ASR topics: check bootstrap.servers and that the brokers are up", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while checking the ASR topics", e);
        }
    }

    private List<String> missing(Topics topics) throws ExecutionException, InterruptedException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        return topics.all().stream().map(Topic::name).filter(name -> !existing.contains(name)).toList();
    }

    private void checkCoPartitioned(Topics topics) throws ExecutionException, InterruptedException, TimeoutException {
        List<String> inputs = topics.inputs().stream().map(Topic::name).toList();
        Map<String, TopicDescription> descriptions = describe(inputs);
        int spendPartitions = descriptions.get(topics.spend().name()).partitions().size();
        int outcomePartitions = descriptions.get(topics.outcomes().name()).partitions().size();
        if (spendPartitions != outcomePartitions) {
            throw new KafkaException("topic '" + topics.spend().name() + "' has " + spendPartitions + " partitions but '"
                    + topics.outcomes().name() + "' has " + outcomePartitions + ": they must match so that an agent's spend and"
                    + " outcomes are processed together. Add partitions to the smaller one (kafka-topics --alter --partitions)");
        }
    }

    /** Describes topics, waiting out the moment after creation when a broker does not know them yet. */
    private Map<String, TopicDescription> describe(List<String> names) throws ExecutionException, InterruptedException, TimeoutException {
        for (int attempt = 0; ; attempt++) {
            try {
                return admin.describeTopics(names).allTopicNames().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || attempt >= 40) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    private static Map<String, String> configFor(Topics topics, Topic<?, ?> topic, int minInSync) {
        long retentionDays;
        if (topic.equals(topics.bandTransitions())) {
            retentionDays = 30;
        } else if (topic.equals(topics.deadLetters())) {
            retentionDays = 14;
        } else {
            retentionDays = 7;
        }
        return Map.of("retention.ms", Long.toString(retentionDays * DAY_MS), "min.insync.replicas", Integer.toString(minInSync));
    }
}
