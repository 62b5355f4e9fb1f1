package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AsrCommandTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = Asr.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void listsEverySubcommand() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString()).contains("demo", "streams", "exporter", "ingest", "simulate");
    }

    @Test
    void aBadDurationNamesTheValueAndTheForm() {
        assertThat(run("demo", "--duration", "thirty")).isEqualTo(2);
        assertThat(err.toString()).contains("'thirty' is not a duration: write e.g. 30s, 5m, 2h or 1h30m");
    }

    @Test
    void aUserMistakeIsOneLineNotAStackTrace() {
        assertThat(run("simulate", "--duration", "1s")).isEqualTo(1);
        assertThat(err.toString())
                .contains("asr simulate: bootstrap.servers is not set")
                .contains("(set ASR_DEBUG=1 for the stack trace)")
                .doesNotContain("\tat ");
    }
}
