package dev.asr.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Reserved: the ingest service lands with issue #5. */
@Command(name = "ingest", mixinStandardHelpOptions = true, description = "Serve the HTTP ingest gateway for agents in any language. (not in this build yet: issue #5).")
final class IngestCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("asr ingest: not in this build yet; it lands with issue #5. Try ./asr demo.");
        return 2;
    }
}
