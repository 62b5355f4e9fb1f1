package dev.asr.examples;

import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.serde.AvroSerde;
import dev.asr.schemas.serde.BadRecordException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * An example service that subscribes to {@code asr.band-transitions.v1} and acts when an agent moves
 * DOWN a band (say, SELF_DIRECTED to ASSISTED): here it prints what a platform would do — cut the
 * agent's spending allowance, page its owner — and hands the transition to {@code onDowngrade}.
 *
 * <p>It is an ordinary consumer group member: run several and Kafka shares the partitions; it
 * commits after acting, so a restart acts on what it had not finished (at least once: a
 * transition's {@code transition_id} is deterministic, so an action can skip one it already took,
 * as {@link #seen} does here in memory). UP, RATED and UNRATED moves are read and left alone.
 *
 * <p>Against the running demo, from the repository root (the {@code asr} jar carries it):
 *
 * <pre>
 * java -cp asr-app/target/asr.jar dev.asr.examples.DowngradeWatcher localhost:9092 embedded:.asr/demo/schemas
 * </pre>
 */
public final class DowngradeWatcher implements Runnable, AutoCloseable {

    public static final String TOPIC = "asr.band-transitions.v1";

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroSerde<BandTransition> serde;
    private final String topic;
    private final Consumer<BandTransition> onDowngrade;
    private final PrintStream out;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    /**
     * @param kafka consumer settings: {@code bootstrap.servers}, and security settings if any
     * @param group the consumer group: instances with the same group share the work
     */
    public DowngradeWatcher(Map<String, Object> kafka, String group, String topic, SchemaRegistry registry,
            Consumer<BandTransition> onDowngrade, PrintStream out) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // The topology writes transactionally: read only what it committed.
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.serde = AvroSerde.forValues(BandTransition.class, registry);
        this.topic = topic;
        this.onDowngrade = onDowngrade;
        this.out = out;
    }

    @Override
    public void run() {
        consumer.subscribe(List.of(topic));
        try {
            while (running.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    take(record);
                }
                consumer.commitSync();
            }
        } catch (WakeupException stopping) {
            // close() was called.
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void take(ConsumerRecord<byte[], byte[]> record) {
        BandTransition move;
        try {
            move = serde.decode(record.topic(), record.value());
        } catch (BadRecordException e) {
            out.printf("skipping %s-%d@%d: %s%n", record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        if (move.getDirection() != Direction.DOWN || !seen.add(move.getTransitionId())) {
            return;
        }
        out.printf("DOWN %s (fleet %s): %s -> %s, ASR %s over %s with %d settled tasks: cutting its allowance to the %s band's%n",
                move.getAgentId(), move.getFleet(), move.getFromBand(), move.getToBand(),
                move.getAsr() == null ? "n/a" : String.format("%.2f", move.getAsr()), move.getWindow(), move.getSettledTasks(),
                move.getToBand());
        out.flush();
        onDowngrade.accept(move);
    }

    @Override
    public void close() {
        running.set(false);
        consumer.wakeup();
    }

    /** {@code DowngradeWatcher BOOTSTRAP REGISTRY [GROUP]}: REGISTRY as ASR takes it (http://host:8081, or embedded:DIR). */
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: DowngradeWatcher <bootstrap servers> <schema registry: http://host:port or embedded:DIR> [group]");
            System.exit(2);
        }
        SchemaRegistry registry = RegistrySettings.from(Map.of("schema.registry.url", args[1])).open();
        DowngradeWatcher watcher = new DowngradeWatcher(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]),
                args.length > 2 ? args[2] : "asr-downgrade-watcher", TOPIC, registry, move -> {}, System.out);
        Thread thread = new Thread(watcher, "downgrade-watcher");
        Runtime.getRuntime().addShutdownHook(new Thread(watcher::close));
        System.out.println("watching " + TOPIC + " on " + args[0] + " for DOWN moves (Ctrl-C stops)");
        thread.start();
        thread.join();
    }
}
