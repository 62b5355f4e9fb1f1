package dev.asr.app;

import dev.asr.allowances.service.AllowanceService;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import dev.asr.exporter.ExporterService;
import dev.asr.exporter.ExporterSettings;
import dev.asr.ingest.gateway.GatewaySettings;
import dev.asr.ingest.gateway.IngestGateway;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.ingest.sdk.Authorizer;
import dev.asr.ingest.simulator.AgentKind;
import dev.asr.ingest.simulator.AuthorizingSink;
import dev.asr.ingest.simulator.EventSink;
import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.GatewayEventSink;
import dev.asr.ingest.simulator.SdkEventSink;
import dev.asr.schemas.Durations;
import dev.asr.schemas.Topic;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.streams.StreamsService;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.processor.PipelineCounters;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The embedded default: a real single-node Kafka broker in this process, the topics, an embedded
 * schema registry, the ASR topology, the exporter, the ingest gateway and a simulated fleet, with
 * progress and band changes in the terminal. Data stays in the data directory, so running it again resumes.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start an in-process Kafka broker, the ASR topology and a simulated agent fleet, and show what flows.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleet;

    @Option(names = "--duration", paramLabel = "DURATION", description = "Stop after this long, e.g. 30s, 10m (default: until Ctrl-C).")
    Duration duration;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Broker data, schemas and topology state; reuse it to resume (default: ${DEFAULT-VALUE}).")
    Path dataDirectory = Path.of(".asr", "demo");

    @Option(names = "--port", description = "Kafka listener port on localhost; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = EmbeddedKafkaSettings.DEFAULT_PORT;

    @Option(names = "--streams-metrics-port", paramLabel = "PORT",
            description = "Port of the topology's own /metrics; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int streamsMetricsPort = 9401;

    @Option(names = "--exporter-port", paramLabel = "PORT",
            description = "Port of the Prometheus exporter's /metrics; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int exporterPort = 9400;

    @Option(names = "--ingest-port", paramLabel = "PORT",
            description = "Port of the HTTP ingest gateway; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int ingestPort = 8080;

    @Option(names = "--ingest-token", paramLabel = "TOKEN",
            description = "Bearer token the demo's gateway accepts, for any fleet (default: a random one, printed at start).")
    String ingestToken;

    @Option(names = "--partitions", description = "Partitions of each ASR topic when first created (default: ${DEFAULT-VALUE}).")
    int partitions = 3;

    @Option(names = "--grace", paramLabel = "DURATION",
            description = "How long after a minute ends its bucket closes (production default 2m; default here: ${DEFAULT-VALUE}, so bands show sooner).")
    Duration grace = Duration.ofSeconds(30);

    @Option(names = "--progress-interval", paramLabel = "DURATION", description = "How often to print rates (default: ${DEFAULT-VALUE}).")
    Duration progressInterval = Duration.ofSeconds(5);

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (partitions < 1) {
            throw new IllegalArgumentException("--partitions must be at least 1, got " + partitions);
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("--progress-interval must be positive, got " + progressInterval);
        }
        FleetSettings fleetSettings = fleet.settings();
        String token = ingestToken != null ? ingestToken : IngestCommand.newToken();
        if (token.isBlank()) {
            throw new IllegalArgumentException("--ingest-token must not be blank");
        }
        Path data = dataDirectory.toAbsolutePath().normalize();
        Lifetime lifetime = new Lifetime();
        long start = System.nanoTime();
        out.println("ASR demo: starting an in-process Kafka broker...");
        out.flush();

        AllowanceSettings allowanceSettings = AllowanceSettings.from(Map.of());
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(data, "localhost", port, 0));
             SchemaRegistry registry = RegistrySettings.embedded(data.resolve("schemas")).open()) {
            Topics topics = Topics.create(TopicNames.DEFAULTS, registry);
            Map<String, Object> clientConfig = Map.of("bootstrap.servers", broker.bootstrapServers());
            String resumed;
            try (Admin admin = Admin.create(clientConfig)) {
                List<String> created = new TopicProvisioner(admin).ensure(topics, partitions, (short) 1);
                DecisionsTopic.ensure(admin, allowanceSettings, partitions, (short) 1);
                resumed = created.isEmpty() ? resumeNote(admin, topics) : "new data directory";
            }
            StreamsSettings streamsSettings = StreamsSettings.from(Map.of(
                    "asr.grace", Durations.format(grace),
                    "asr.streams.metrics-port", Integer.toString(streamsMetricsPort)));
            Map<String, Object> streamsConfig = StreamsSettings.streamsConfig(Map.of(
                    "bootstrap.servers", broker.bootstrapServers(),
                    "application.id", "asr-demo",
                    "state.dir", data.resolve("streams").toString()));
            ExporterSettings exporterSettings = ExporterSettings.from(Map.of("asr.exporter.port", Integer.toString(exporterPort)));
            Map<String, String> gatewaySettings = new HashMap<>(Map.of(
                    "bootstrap.servers", broker.bootstrapServers(),
                    "schema.registry.url", RegistrySettings.EMBEDDED_PREFIX + data.resolve("schemas"),
                    "asr.ingest.port", Integer.toString(ingestPort)));
            AsrClientSettings sdkSettings = AsrClientSettings.of(broker.bootstrapServers(), RegistrySettings.embedded(data.resolve("schemas")));
            try (BandWatcher bands = new BandWatcher(broker.bootstrapServers(), topics, out, start);
                 StreamsService streams = StreamsService.start(streamsSettings, streamsConfig, topics);
                 ExporterService exporter = ExporterService.start(exporterSettings, clientConfig, topics);
                 AllowanceService allowances = AllowanceService.start(allowanceSettings, clientConfig, topics, registry, Clock.systemUTC());
                 // The read API's figures come from the topology's stores, served on its own port.
                 IngestGateway gateway = IngestGateway.start(withState(gatewaySettings, streams.stateUrl()), Tokens.of(List.of(new Tokens.Grant(Tokens.hash(token), Set.of("*")))),
                         allowances)) {
                out.printf("  Kafka broker     %s (KRaft, in-process; data in %s)%n", broker.bootstrapServers(), data);
                out.printf("  Schema registry  embedded, in %s%n", data.resolve("schemas"));
                out.printf("  Topics           %s%n", topics.all().stream().map(Topic::name).collect(Collectors.joining(", ")));
                out.printf("  Topology         asr-demo, exactly-once; its own metrics at %s%n", streams.metricsUrl());
                out.printf("  Prometheus       %s (ASR per agent and fleet)%n", exporter.url());
                out.printf("  Ingest gateway   %s/v1/spend and /v1/outcomes, bearer token %s (OpenAPI at %s/openapi.json)%n",
                        gateway.url(), token, gateway.url());
                out.printf("  Allowances       %s/v1/authorize, decisions in %s%n", gateway.url(), allowanceSettings.decisionsTopic());
                out.printf("  Read API         %s/v1/agents/{fleet}/{agent_id} and /v1/fleets/{fleet} (band, figures per view, allowance)%n",
                        gateway.url());
                out.printf("  Fleet            %d agents (%s)%s, %.0f events/s, seed %d, via the %s%n", fleetSettings.agents(),
                        Arrays.stream(AgentKind.values()).map(AgentKind::slug).collect(Collectors.joining(", ")),
                        fleetSettings.drifts() ? " + 3 drifting over " + Durations.format(fleetSettings.driftPeriod()) : "",
                        fleetSettings.eventsPerSecond(), fleetSettings.seed(), fleet.via == FleetOptions.Via.sdk ? "Java SDK" : "ingest gateway");
                out.printf("  Data             %s%n", resumed);
                out.printf("Buckets close %s after each minute: agents with %d+ settled tasks get a band about %s in.%n",
                        Durations.format(grace), streamsSettings.bands().defaults().minTasks(),
                        Durations.format(grace.plus(Duration.ofMinutes(1))));
                out.println(duration == null ? "Ctrl-C stops; ./asr demo again resumes on the same data."
                        : "Running for " + Durations.format(duration) + "; Ctrl-C stops sooner.");
                out.flush();

                PipelineCounters counters = streams.counters();
                EventSink reporting = fleet.via == FleetOptions.Via.sdk ? new SdkEventSink(sdkSettings) : new GatewayEventSink(gateway.url(), token);
                // Trading bots ask before each transaction; the demo prints the decisions per band and each limit change.
                AuthorizingSink sink = new AuthorizingSink(reporting, Authorizer.of(gateway.url(), token), note -> {
                    out.printf("[%s] %s%n", DeliveryProgress.clock(Duration.ofNanos(System.nanoTime() - start)), note);
                    out.flush();
                });
                SimulationRun.run(sink, TopicNames.DEFAULTS, fleetSettings, lifetime, duration, progressInterval, out,
                        () -> String.format(Locale.ROOT, "topology: %,d in, %d dead letters, %,d metrics, %d band changes%s",
                                counters.processed(), counters.deadLetters(), counters.metricsEmitted(), counters.transitionsEmitted(),
                                allowanceLine(sink.summary())));
                out.printf("Stopped%s: %,d spend and %,d outcome events acknowledged by Kafka, %d failed; the topology processed %,d"
                                + " and wrote %,d metrics records and %d band changes. Data kept in %s%n",
                        lifetime.signalled() ? " on signal" : "", sink.spendDelivered(), sink.outcomesDelivered(), sink.failed(),
                        counters.processed(), counters.metricsEmitted(), counters.transitionsEmitted(), data);
                out.flush();
                return sink.failed() == 0 && streams.failure() == null ? 0 : 1;
            }
        } finally {
            lifetime.shutDown();
        }
    }

    private static GatewaySettings withState(Map<String, String> settings, String stateUrl) {
        Map<String, String> all = new HashMap<>(settings);
        if (stateUrl != null) {
            all.put("asr.ingest.state-url", stateUrl);
        }
        return GatewaySettings.from(all);
    }

    private static String allowanceLine(String decisions) {
        return decisions.isEmpty() ? "" : "\n        allowances: " + decisions;
    }

    private static String resumeNote(Admin admin, Topics topics) throws Exception {
        StringBuilder note = new StringBuilder("resuming:");
        for (Topic<String, ?> topic : topics.inputs()) {
            TopicDescription description = admin.describeTopics(List.of(topic.name())).allTopicNames().get().get(topic.name());
            Map<TopicPartition, OffsetSpec> latest = description.partitions().stream()
                    .collect(Collectors.toMap(p -> new TopicPartition(topic.name(), p.partition()), p -> OffsetSpec.latest()));
            long records = admin.listOffsets(latest).all().get().values().stream().mapToLong(info -> info.offset()).sum();
            note.append(String.format(" %s holds %,d records;", topic.name(), records));
        }
        return note.substring(0, note.length() - 1);
    }
}
