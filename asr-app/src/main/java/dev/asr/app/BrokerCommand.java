package dev.asr.app;

import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Just the embedded single-node Kafka broker, until Ctrl-C: a local Kafka for trying ASR's parts one by one. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run only the in-process single-node Kafka broker (KRaft) until Ctrl-C.")
final class BrokerCommand implements Callable<Integer> {

    /** The line a parent process waits for; the bootstrap servers follow it. */
    static final String READY = "Kafka broker ready at ";

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Broker data; reuse it to keep topics and records (default: ${DEFAULT-VALUE}).")
    Path dataDirectory = Path.of(".asr", "broker");

    @Option(names = "--port", description = "Listener port on localhost; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = EmbeddedKafkaSettings.DEFAULT_PORT;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Lifetime lifetime = new Lifetime();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
                new EmbeddedKafkaSettings(dataDirectory.toAbsolutePath().normalize(), "localhost", port, 0))) {
            out.println(READY + broker.bootstrapServers());
            out.flush();
            lifetime.await(null);
        } finally {
            lifetime.shutDown();
        }
        return 0;
    }
}
