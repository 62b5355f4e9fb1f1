package dev.asr.allowances.service;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which agents this instance decides for, when several deciding gateways run (contract §9): each
 * partition of the decisions topic is decided by one instance at a time, the one the group ({@code
 * asr.allowance.group}) assigned it to; an agent's decisions go to the partition of its {@code
 * agent_id}, as Kafka's default partitioner places them.
 *
 * <p>Taking a partition over: a transactional producer whose {@code transactional.id} belongs to
 * the partition, not to the instance ({@code <group>-<topic>-<partition>}), is initialized. That
 * fences the instance that decided for it before — a live one that lost the partition, or one
 * paused so long that the group moved on without it: its next write fails, so what it decides
 * after is never answered — and aborts what it had not committed. Then the decisions committed up
 * to that point are read (this instance's follower reads them all the time) and only then does
 * the instance decide for the partition. Each burst of decisions is one transaction ({@link
 * GroupCommit}), answered once committed. No two instances can therefore both commit decisions on
 * one agent's stale state: the fence orders them.
 *
 * <p>Every member's {@code client.id} is its advertised URL, read back with the group's
 * description, so any instance can forward a request to the agent's decider.
 */
final class Ownership implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Ownership.class);
    private static final Duration OWNERS_REFRESH = Duration.ofSeconds(1);
    private static final Duration CATCH_UP = Duration.ofSeconds(60);
    private static final Duration RETAKE_AFTER = Duration.ofSeconds(3);

    private record Writer(KafkaProducer<String, byte[]> producer, GroupCommit commits) {}

    private final Map<String, Object> kafka;
    private final String group;
    private final String url;
    private final String topic;
    private final int partitions;
    private final BiPredicate<TopicPartition, Long> followedPast;
    private final Consumer<Integer> takenOver;
    private final KafkaConsumer<byte[], byte[]> member;
    private final Admin admin;
    private final Map<Integer, Writer> owned = new ConcurrentHashMap<>();
    /** Since when each assigned partition was found not decided here (this thread only). */
    private final Map<Integer, Long> fencedSince = new HashMap<>();
    private volatile Map<Integer, String> owners = Map.of();
    /** Set when a request found the owners out of date (none, or this instance for a partition it does not decide). */
    private volatile boolean lookNow;
    private volatile boolean running = true;
    private final Thread thread;

    /**
     * Joins the deciding group; {@code followedPast.test(partition, offset)} says whether this
     * instance's state holds every decision of {@code partition} before {@code offset}; {@code
     * takenOver} is told each partition this instance starts deciding for.
     */
    Ownership(Map<String, Object> kafka, String group, String url, String topic, int partitions, Duration sessionTimeout,
            BiPredicate<TopicPartition, Long> followedPast, Consumer<Integer> takenOver) {
        this.kafka = kafka;
        this.group = group;
        this.url = url;
        this.topic = topic;
        this.partitions = partitions;
        this.followedPast = followedPast;
        this.takenOver = takenOver;
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, url);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, sessionTimeout.toMillis() / 3));
        this.member = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // The same client settings as every other Kafka client of the process (as the commands' Admin clients take them).
        this.admin = Admin.create(kafka);
        this.thread = new Thread(this::run, "asr-allowances-ownership");
        thread.setDaemon(true);
        thread.start();
    }

    /** The decisions partition of an agent: where Kafka's default partitioner puts its key. */
    static int partition(String agentId, int partitions) {
        return Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    int partition(String agentId) {
        return partition(agentId, partitions);
    }

    /** The writer of {@code partition} while this instance decides for it (taken over and caught up), else null. */
    GroupCommit writer(int partition) {
        Writer writer = owned.get(partition);
        return writer == null || writer.commits().fatal() != null ? null : writer.commits();
    }

    /** The URL of the instance the group assigned {@code partition} to, as of the last look (within a second or so), or null. */
    String owner(int partition) {
        String owner = owners.get(partition);
        if (owner == null || owner.equals(url)) {
            lookNow = true;
        }
        return owner;
    }

    String url() {
        return url;
    }

    /** The partitions this instance decides for now. */
    java.util.Set<Integer> decided() {
        return java.util.Set.copyOf(owned.keySet());
    }

    private void run() {
        try {
            member.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> assigned) {
                    // The member reads nothing: its partitions say what this instance decides for, the follower reads the records.
                    member.pause(assigned);
                    assigned.forEach(Ownership.this::takeOver);
                    lookNow = true;
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
                    revoked.forEach(Ownership.this::giveUp);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> lost) {
                    lost.forEach(Ownership.this::giveUp);
                }
            });
            long nextLook = System.nanoTime();
            while (running) {
                member.poll(Duration.ofMillis(200));
                if (lookNow || System.nanoTime() - nextLook >= 0) {
                    lookNow = false;
                    lookAtOwners();
                    retakeFenced();
                    nextLook = System.nanoTime() + OWNERS_REFRESH.toNanos();
                }
            }
        } catch (WakeupException closing) {
            // close()
        } catch (RuntimeException e) {
            log.error("The deciding group's member stopped: this instance decides for no partition now ({})", e.getMessage(), e);
        } finally {
            owned.keySet().forEach(p -> giveUp(new TopicPartition(topic, p)));
            member.close(Duration.ofSeconds(5));
        }
    }

    /** Fences the partition's previous decider, reads what it committed, then decides for it. */
    private void takeOver(TopicPartition partition) {
        long start = System.nanoTime();
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "-" + topic + "-" + partition.partition());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "asr-allowances-decider-" + partition.partition());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        try {
            producer.initTransactions();
            long end = admin.listOffsets(Map.of(partition, OffsetSpec.latest()), new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                    .partitionResult(partition).get(30, TimeUnit.SECONDS).offset();
            long deadline = System.nanoTime() + CATCH_UP.toNanos();
            while (!followedPast.test(partition, end)) {
                if (!running || System.nanoTime() > deadline) {
                    throw new IllegalStateException("this instance's state did not reach offset " + end + " of " + partition + " within "
                            + CATCH_UP.toSeconds() + " s");
                }
                Thread.sleep(5);
            }
            owned.put(partition.partition(), new Writer(producer, new GroupCommit(producer, "asr-allowances-decider-"
                    + partition.partition(), true)));
            log.info("Deciding for partition {} of {} (taken over in {} ms: previous decider fenced, its decisions up to offset {} read)",
                    partition.partition(), topic, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), end);
            takenOver.accept(partition.partition());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            producer.close(Duration.ZERO);
        } catch (Exception e) {
            // Not deciding for it: requests for its agents are answered 503 not-ready until the group assigns it again.
            log.error("Could not take partition {} of {} over: {}; it is not decided here", partition.partition(), topic, e.getMessage(), e);
            producer.close(Duration.ZERO);
        }
    }

    /**
     * A partition the group assigns here that this instance does not decide for — its writer was
     * fenced (another instance initialized its transactional id: one the group had given it to, or
     * a stale member), or taking it over failed (Kafka unreachable, the catch-up too slow) — is
     * taken over again once {@link #RETAKE_AFTER} passed. The group's assignment, which each poll
     * brings, says who decides; while it keeps the partition here, this instance does, after reading
     * what the other wrote.
     */
    private void retakeFenced() {
        for (TopicPartition partition : member.assignment()) {
            Writer writer = owned.get(partition.partition());
            RuntimeException fatal = writer == null ? new IllegalStateException("not taken over") : writer.commits().fatal();
            if (fatal == null) {
                fencedSince.remove(partition.partition());
                continue;
            }
            Long since = fencedSince.putIfAbsent(partition.partition(), System.nanoTime());
            if (since != null && System.nanoTime() - since >= RETAKE_AFTER.toNanos()) {
                log.warn("Partition {} of {} is assigned here but not decided ({}); taking it over again", partition.partition(), topic,
                        fatal.getMessage());
                fencedSince.remove(partition.partition());
                giveUp(partition);
                takeOver(partition);
            }
        }
    }

    private void giveUp(TopicPartition partition) {
        Writer writer = owned.remove(partition.partition());
        if (writer != null) {
            writer.commits().close();
            writer.producer().close(Duration.ofSeconds(5));
            log.info("No longer deciding for partition {} of {}", partition.partition(), topic);
        }
    }

    /** Which member the group assigned each partition to, by their advertised URLs. */
    private void lookAtOwners() {
        try {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(5, TimeUnit.SECONDS);
            Map<Integer, String> next = new HashMap<>();
            for (MemberDescription described : description.members()) {
                for (TopicPartition assigned : described.assignment().topicPartitions()) {
                    if (assigned.topic().equals(topic)) {
                        next.put(assigned.partition(), described.clientId());
                    }
                }
            }
            owners = Map.copyOf(next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WakeupException();
        } catch (Exception e) {
            log.debug("Could not describe the deciding group {}: {}", group, e.toString());
        }
    }

    @Override
    public void close() {
        running = false;
        member.wakeup();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
