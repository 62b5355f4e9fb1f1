package dev.asr.app;

import dev.asr.schemas.ops.HttpServerDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code asr} command: one binary, one subcommand per runnable part of the pipeline. */
@Command(
        name = "asr",
        mixinStandardHelpOptions = true,
        versionProvider = Asr.Version.class,
        description = "Autonomy-to-Spend Ratio pipeline: how much autonomous work AI agents deliver per dollar.",
        subcommands = {
            DemoCommand.class,
            StreamsCommand.class,
            ExporterCommand.class,
            IngestCommand.class,
            SimulateCommand.class,
            BrokerCommand.class,
            TailCommand.class,
            BenchCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Asr implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        HttpServerDefaults.apply(); // before any endpoint of any command is made
        System.exit(commandLine().execute(args));
    }

    /** The command line with ASR's error handling: a user's mistake prints one line, not a stack trace. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Asr());
        commandLine.registerConverter(java.time.Duration.class, new DurationConverter());
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText("asr " + cmd.getCommandName() + ": " + describe(exception)));
            if (System.getenv("ASR_DEBUG") != null) {
                exception.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("(set ASR_DEBUG=1 for the stack trace)");
            }
            return 1;
        });
        return commandLine;
    }

    private static String describe(Throwable exception) {
        String message = exception.getMessage();
        Throwable cause = exception;
        while ((message == null || message.isBlank()) && cause.getCause() != null) {
            cause = cause.getCause();
            message = cause.getMessage();
        }
        return message == null ? exception.getClass().getSimpleName() : message;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Asr.class.getPackage().getImplementationVersion();
            return new String[] {"asr " + (version == null ? "(development build)" : version)};
        }
    }
}
