package dev.asr.streams;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.schemas.Topics;
import dev.asr.streams.fleet.FleetInput;
import dev.asr.streams.processor.AgentProcessor;
import dev.asr.streams.processor.FleetProcessor;
import dev.asr.streams.processor.Output;
import dev.asr.streams.processor.PipelineCounters;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.state.codec.FleetInputCodec;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * The ASR topology. One sub-topology per input partition does the agents' work: spend and outcomes
 * (co-partitioned by agent) merge into the {@link AgentProcessor}, whose output splits four ways:
 * dead letters, agent metrics, band transitions, and inputs of the fleet roll-up. Those go through
 * the {@code fleet-inputs} repartition topic (agents' windows by fleet, each partition's watermark
 * to every partition) to the {@link FleetProcessor}, which writes fleet rows to the metrics topic.
 *
 * <p>Every node, store and internal topic has an explicit name, so the topology can change without
 * orphaning its state.
 */
public final class AsrTopology {

    private AsrTopology() {}

    /** @param inputPartitions how many partitions the input topics have (the same for both) */
    public static Topology build(StreamsSettings settings, Topics topics, PipelineCounters counters, int inputPartitions) {
        return build(settings, topics, counters, inputPartitions, AsrStores.Storage.ROCKSDB);
    }

    /** The topology with its stores in {@code storage}: RocksDB in production, the heap for tests that pipe millions of records. */
    public static Topology build(StreamsSettings settings, Topics topics, PipelineCounters counters, int inputPartitions,
            AsrStores.Storage storage) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(AsrStores.agents(storage));
        builder.addStateStore(AsrStores.openTasks(storage));
        builder.addStateStore(AsrStores.buckets(storage));
        builder.addStateStore(AsrStores.seenLog(storage));
        builder.addStateStore(AsrStores.seenIndex(storage));
        builder.addStateStore(AsrStores.fleetWindows(storage));
        builder.addStateStore(AsrStores.fleetProgress(storage));

        Consumed<byte[], byte[]> raw = Consumed.with(Serdes.ByteArray(), Serdes.ByteArray());
        KStream<byte[], byte[]> spend = builder.stream(topics.spend().name(), raw.withName("spend-in"));
        KStream<byte[], byte[]> outcomes = builder.stream(topics.outcomes().name(), raw.withName("outcomes-in"));

        Map<String, KStream<String, Output>> outputs = spend.merge(outcomes, Named.as("events"))
                .process(() -> new AgentProcessor(settings, topics, counters, inputPartitions), Named.as("agent-ledger"),
                        AsrStores.AGENT_STORES)
                .split(Named.as("out-"))
                .branch((key, value) -> value instanceof Output.DeadLetter, Branched.as("dead-letters"))
                .branch((key, value) -> value instanceof Output.Metrics, Branched.as("metrics"))
                .branch((key, value) -> value instanceof Output.Transition, Branched.as("transitions"))
                .branch((key, value) -> value instanceof Output.ToFleet, Branched.as("fleet"))
                .noDefaultBranch();

        outputs.get("out-dead-letters")
                .map((key, value) -> KeyValue.pair(((Output.DeadLetter) value).key(), ((Output.DeadLetter) value).value()),
                        Named.as("dead-letter-original"))
                .to(topics.deadLetters().name(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dead-letters-out"));

        outputs.get("out-metrics")
                .mapValues(value -> ((Output.Metrics) value).metrics(), Named.as("agent-metrics"))
                .to(topics.agentMetrics().name(), metricsOut(topics, "agent-metrics-out"));

        outputs.get("out-transitions")
                .mapValues(value -> ((Output.Transition) value).transition(), Named.as("band-transitions"))
                .to(topics.bandTransitions().name(), Produced.<String, BandTransition>with(
                        topics.bandTransitions().keySerde(), topics.bandTransitions().valueSerde()).withName("band-transitions-out"));

        outputs.get("out-fleet")
                .mapValues(value -> ((Output.ToFleet) value).input(), Named.as("fleet-input"))
                .repartition(Repartitioned.with(Serdes.String(), new FleetInputCodec()).withName("fleet-inputs")
                        .withStreamPartitioner(new ByFleetWatermarksToAll()))
                .process(() -> new FleetProcessor(settings, counters), Named.as("fleet-rollup"), AsrStores.FLEET_STORES)
                .to(topics.agentMetrics().name(), metricsOut(topics, "fleet-metrics-out"));

        return builder.build();
    }

    private static Produced<String, AgentWindowMetrics> metricsOut(Topics topics, String name) {
        return Produced.with(topics.agentMetrics().keySerde(), topics.agentMetrics().valueSerde()).withName(name);
    }

    /** An agent's window goes to its fleet's partition (by key); a partition's watermark to every partition. */
    private static final class ByFleetWatermarksToAll implements StreamPartitioner<String, FleetInput> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, FleetInput value, int numPartitions) {
            if (value instanceof FleetInput.Watermark) {
                return Optional.of(IntStream.range(0, numPartitions).boxed().collect(Collectors.toSet()));
            }
            return Optional.empty();
        }
    }
}
