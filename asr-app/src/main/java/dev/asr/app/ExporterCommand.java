package dev.asr.app;

import dev.asr.exporter.ExporterService;
import dev.asr.exporter.ExporterSettings;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** The Prometheus exporter against any Kafka cluster, until stopped. */
@Command(name = "exporter", mixinStandardHelpOptions = true,
        description = "Serve the ASR figures to Prometheus at /metrics (default port 9400), read from the metrics and transitions topics.")
final class ExporterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> settings = cluster.settings();
        ExporterSettings exporterSettings = ExporterSettings.from(settings);
        Map<String, Object> clientConfig = SettingsLoader.kafkaClientConfig(settings);
        Lifetime lifetime = new Lifetime();
        try (SchemaRegistry registry = RegistrySettings.from(settings).open()) {
            Topics topics = Topics.create(exporterSettings.topics(), registry);
            cluster.provisionTopics(clientConfig, topics, false);
            try (ExporterService exporter = ExporterService.start(exporterSettings, clientConfig, topics)) {
                out.printf("ASR exporter: %s and %s -> %s (also /healthz, /readyz)%n", topics.agentMetrics(), topics.bandTransitions(),
                        exporter.url());
                out.flush();
                lifetime.await(null);
            }
            return 0;
        } finally {
            lifetime.shutDown();
        }
    }
}
