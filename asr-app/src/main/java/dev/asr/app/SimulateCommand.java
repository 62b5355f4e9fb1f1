package dev.asr.app;

import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.KafkaEventSink;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** A simulated fleet against any Kafka cluster and schema registry. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Produce a simulated agent fleet's spend and outcome events to an existing Kafka cluster.")
final class SimulateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleet;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--duration", paramLabel = "DURATION", description = "Stop after this long, e.g. 30s, 10m (default: until Ctrl-C).")
    Duration duration;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> settings = cluster.settings();
        FleetSettings fleetSettings = fleet.settings();
        Map<String, Object> clientConfig = SettingsLoader.kafkaClientConfig(settings);
        Lifetime lifetime = new Lifetime();
        try (SchemaRegistry registry = RegistrySettings.from(settings).open()) {
            Topics topics = Topics.create(TopicNames.from(settings), registry);
            cluster.provisionTopics(clientConfig, topics, false);
            out.printf("Simulating %d agents at %.0f events/s (seed %d) into %s via %s%n", fleetSettings.agents(),
                    fleetSettings.eventsPerSecond(), fleetSettings.seed(), clientConfig.get("bootstrap.servers"), registry.describe());
            out.flush();
            KafkaEventSink sink = SimulationRun.run(topics, clientConfig, fleetSettings, lifetime, duration, Duration.ofSeconds(5), out, null);
            return sink.failed() == 0 ? 0 : 1;
        } finally {
            lifetime.shutDown();
        }
    }
}
