package dev.asr.app;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListStreamsGroupOffsetsSpec;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Fail-over times of a Kafka Streams application, measured from outside as a user sees them: after
 * an instance is killed, how long until every input partition that still had records to read
 * commits progress again (its tasks taken over, their state restored, processing resumed). Reads
 * the application's committed offsets and the partitions' end offsets with an {@link Admin} client
 * every 100 ms.
 */
final class FailoverWatch implements AutoCloseable {

    private final Admin admin;
    private final String groupId;
    private final boolean streamsGroup;
    private final List<TopicPartition> inputs;
    private final List<Pending> pending = new ArrayList<>();
    private final List<Duration> failovers = new ArrayList<>();
    private int unresolved;
    private final Thread thread;
    private volatile boolean running = true;

    private record Pending(long killedAtNanos, Map<TopicPartition, Long> waitingFor) {}

    /** {@code streamsGroup}: the application runs with {@code group.protocol=streams} (a streams group, not a consumer group). */
    FailoverWatch(String bootstrap, String groupId, boolean streamsGroup, List<String> inputTopics, int partitions) {
        this.streamsGroup = streamsGroup;
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "request.timeout.ms", "5000", "default.api.timeout.ms", "10000"));
        this.groupId = groupId;
        this.inputs = new ArrayList<>();
        for (String topic : inputTopics) {
            for (int p = 0; p < partitions; p++) {
                inputs.add(new TopicPartition(topic, p));
            }
        }
        this.thread = new Thread(this::watch, "failover-watch");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * An instance was just killed (and is dead): from now, each partition with records left to read
     * must commit past where it stands.
     */
    void killed() {
        long at = System.nanoTime();
        try {
            Map<TopicPartition, Long> committed = committed();
            Map<TopicPartition, Long> ends = ends();
            Map<TopicPartition, Long> waitingFor = new HashMap<>();
            for (TopicPartition partition : inputs) {
                long position = committed.getOrDefault(partition, 0L);
                if (ends.getOrDefault(partition, 0L) > position) {
                    waitingFor.put(partition, position);
                }
            }
            synchronized (this) {
                if (!waitingFor.isEmpty()) {
                    pending.add(new Pending(at, waitingFor));
                }
            }
        } catch (Exception e) {
            synchronized (this) {
                unresolved++;
            }
        }
    }

    private void watch() {
        while (running) {
            try {
                Map<TopicPartition, Long> committed = committed();
                long now = System.nanoTime();
                synchronized (this) {
                    for (var it = pending.iterator(); it.hasNext(); ) {
                        Pending kill = it.next();
                        kill.waitingFor.entrySet().removeIf(e -> committed.getOrDefault(e.getKey(), 0L) > e.getValue());
                        if (kill.waitingFor.isEmpty()) {
                            failovers.add(Duration.ofNanos(now - kill.killedAtNanos));
                            it.remove();
                        }
                    }
                }
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // The cluster may be failing over itself: asked again at the next turn.
            }
        }
    }

    private Map<TopicPartition, Long> committed() throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = (streamsGroup
                ? admin.listStreamsGroupOffsets(Map.of(groupId, new ListStreamsGroupOffsetsSpec())).partitionsToOffsetAndMetadata(groupId)
                : admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()).get(10, TimeUnit.SECONDS);
        return offsets.entrySet().stream().filter(e -> e.getValue() != null)
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    private Map<TopicPartition, Long> ends() throws Exception {
        ListOffsetsResult result = admin.listOffsets(inputs.stream().collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest())));
        return result.all().get(10, TimeUnit.SECONDS).entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** Fail-over times of the kills taken over so far. */
    synchronized List<Duration> failovers() {
        return List.copyOf(failovers);
    }

    /** Kills whose partitions had not all moved on when the run ended (or that could not be measured). */
    synchronized int unresolved() {
        return unresolved + pending.size();
    }

    /** {@code p50 X s, max Y s (n kills)} of the fail-overs measured. */
    String summary() {
        List<Duration> sorted = new ArrayList<>(failovers());
        sorted.sort(Duration::compareTo);
        if (sorted.isEmpty()) {
            return "no fail-over measured (" + unresolved() + " kills not taken over before the end)";
        }
        return String.format("p50 %.1f s, max %.1f s (%d kills taken over; %d not before the end)", seconds(sorted.get((sorted.size() - 1) / 2)),
                seconds(sorted.get(sorted.size() - 1)), sorted.size(), unresolved());
    }

    private static double seconds(Duration d) {
        return d.toMillis() / 1000.0;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }
}
