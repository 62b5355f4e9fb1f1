package dev.asr.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Reserved: the exporter service lands with issue #4. */
@Command(name = "exporter", mixinStandardHelpOptions = true, description = "Serve the ASR figures to Prometheus at /metrics. (not in this build yet: issue #4).")
final class ExporterCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("asr exporter: not in this build yet; it lands with issue #4. Try ./asr demo.");
        return 2;
    }
}
