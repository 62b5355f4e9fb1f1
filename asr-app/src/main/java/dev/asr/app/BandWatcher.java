package dev.asr.app;

import dev.asr.event.BandTransition;
import dev.asr.schemas.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** Prints each band transition as it is committed, for the demo's terminal. */
final class BandWatcher implements AutoCloseable {

    private final KafkaConsumer<String, BandTransition> consumer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong printed = new AtomicLong();

    /** Starts at the topic's end: transitions written before this run were printed by an earlier one. */
    BandWatcher(String bootstrapServers, Topics topics, PrintWriter out, long startNanos) {
        consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.CLIENT_ID_CONFIG, "asr-demo-band-watcher"),
                topics.bandTransitions().keySerde().deserializer(), topics.bandTransitions().valueSerde().deserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topics.bandTransitions().name()).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        thread = new Thread(() -> {
            try {
                while (running.get()) {
                    for (ConsumerRecord<String, BandTransition> record : consumer.poll(Duration.ofMillis(200))) {
                        BandTransition t = record.value();
                        out.println(String.format(Locale.ROOT, "[%s] band  %-22s %-13s -> %-13s %-7s ASR %s over %s (%d tasks)",
                                DeliveryProgress.clock(Duration.ofNanos(System.nanoTime() - startNanos)), t.getAgentId(),
                                t.getFromBand(), t.getToBand(), t.getDirection(),
                                t.getAsr() == null ? "-" : String.format(Locale.ROOT, "%.2f", t.getAsr()), t.getWindow(),
                                t.getSettledTasks()));
                        out.flush();
                        printed.incrementAndGet();
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                // Closing.
            } finally {
                consumer.close();
            }
        }, "asr-band-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    long printed() {
        return printed.get();
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
