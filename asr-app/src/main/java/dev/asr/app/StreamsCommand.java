package dev.asr.app;

import dev.asr.schemas.Topics;
import dev.asr.schemas.ops.Reachability;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.streams.OpsEndpoint;
import dev.asr.streams.StreamsService;
import dev.asr.streams.StreamsSettings;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The topology against any Kafka cluster, until stopped. Scale out by starting more with the same application.id. */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = "Run the ASR Kafka Streams topology: spend and outcomes in; agent metrics, band transitions and dead letters out.")
final class StreamsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> settings = cluster.settings();
        StreamsSettings streamsSettings = StreamsSettings.from(settings);
        Map<String, Object> streamsConfig = StreamsSettings.streamsConfig(settings);
        Map<String, Object> clientConfig = SettingsLoader.kafkaClientConfig(settings);
        Lifetime lifetime = new Lifetime();
        try (SchemaRegistry registry = RegistrySettings.from(settings).open();
             Reachability reach = new Reachability("asr streams", clientConfig, registry).start();
             OpsEndpoint ops = StreamsService.openOps(streamsSettings, reach)) {
            Topics topics = Topics.create(streamsSettings.topics(), registry);
            if (!lifetime.awaitReached(reach, null)) {
                return 0;
            }
            cluster.provisionTopics(clientConfig, topics, true);
            try (StreamsService service = StreamsService.start(streamsSettings, streamsConfig, topics, ops)) {
                out.printf("ASR streams %s: %s + %s -> %s, %s, %s%n", streamsConfig.get("application.id"), topics.spend(),
                        topics.outcomes(), topics.agentMetrics(), topics.bandTransitions(), topics.deadLetters());
                if (ops != null) {
                    out.printf("  own metrics at %s/metrics (also /healthz, /readyz)%n", ops.baseUrl());
                }
                out.flush();
                Thread watcher = new Thread(() -> {
                    try {
                        service.awaitStop(java.time.Duration.ofDays(365_000));
                        lifetime.stop();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }, "asr-streams-watch");
                watcher.setDaemon(true);
                watcher.start();
                lifetime.await(null);
                if (service.failure() != null) {
                    throw new IllegalStateException("Kafka Streams stopped: " + service.failure().getMessage(), service.failure());
                }
            }
            return 0;
        } finally {
            lifetime.shutDown();
        }
    }
}
