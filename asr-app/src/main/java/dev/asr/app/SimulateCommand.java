package dev.asr.app;

import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.ingest.simulator.EventSink;
import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.GatewayEventSink;
import dev.asr.ingest.simulator.SdkEventSink;
import dev.asr.schemas.Durations;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.ops.Reachability;
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
        description = "Send a simulated agent fleet's spend and outcome events to an existing Kafka cluster, through the Java SDK"
                + " or an ingest gateway.")
final class SimulateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleet;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--duration", paramLabel = "DURATION", description = "Stop after this long, e.g. 30s, 10m (default: until Ctrl-C).")
    Duration duration;

    @Option(names = "--gateway-url", paramLabel = "URL", description = "With --via gateway: the gateway, e.g. http://asr-ingest:8080.")
    String gatewayUrl;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "With --via gateway: the bearer token (default: the ASR_INGEST_TOKEN environment variable, kept out of ps).")
    String token;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        FleetSettings fleetSettings = fleet.settings();
        long started = System.nanoTime();
        Lifetime lifetime = new Lifetime();
        try {
            EventSink sink;
            String topicsNote;
            TopicNames names;
            if (fleet.via == FleetOptions.Via.gateway) {
                String bearer = token != null ? token : System.getenv("ASR_INGEST_TOKEN");
                if (gatewayUrl == null || bearer == null || bearer.isBlank()) {
                    throw new IllegalArgumentException("--via gateway needs --gateway-url and a token (--token or ASR_INGEST_TOKEN)");
                }
                names = TopicNames.DEFAULTS;
                sink = new GatewayEventSink(gatewayUrl, bearer);
                out.printf("Simulating %d agents at %.0f events/s (seed %d) through the gateway at %s%n", fleetSettings.agents(),
                        fleetSettings.eventsPerSecond(), fleetSettings.seed(), gatewayUrl);
            } else {
                Map<String, String> settings = cluster.settings();
                Map<String, Object> clientConfig = SettingsLoader.kafkaClientConfig(settings);
                names = TopicNames.from(settings);
                try (SchemaRegistry registry = RegistrySettings.from(settings).open();
                     Reachability reach = new Reachability("asr simulate", clientConfig, registry).start()) {
                    if (!lifetime.awaitReached(reach, duration)) {
                        if (lifetime.signalled()) {
                            return 0;
                        }
                        throw new IllegalStateException("nothing was sent in --duration " + Durations.format(duration) + ": "
                                + reach.problem());
                    }
                    cluster.provisionTopics(clientConfig, Topics.create(names, registry), false);
                    out.printf("Simulating %d agents at %.0f events/s (seed %d) into %s through the Java SDK, schemas in %s%n",
                            fleetSettings.agents(), fleetSettings.eventsPerSecond(), fleetSettings.seed(),
                            clientConfig.get("bootstrap.servers"), registry.describe());
                }
                sink = new SdkEventSink(AsrClientSettings.from(settings));
            }
            out.flush();
            Duration left = duration == null ? null : duration.minusNanos(System.nanoTime() - started);
            SimulationRun.run(sink, names, fleetSettings, lifetime, left, Duration.ofSeconds(5), out, null);
            return sink.failed() == 0 ? 0 : 1;
        } finally {
            lifetime.shutDown();
        }
    }
}
