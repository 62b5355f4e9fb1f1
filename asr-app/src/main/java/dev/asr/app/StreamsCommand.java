package dev.asr.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Reserved: the streams service lands with issue #3. */
@Command(name = "streams", mixinStandardHelpOptions = true, description = "Run the ASR Kafka Streams topology against a Kafka cluster. (not in this build yet: issue #3).")
final class StreamsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("asr streams: not in this build yet; it lands with issue #3. Try ./asr demo.");
        return 2;
    }
}
