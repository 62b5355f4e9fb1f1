package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.ingest.gateway.Tokens;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void makesATokenAndTheTokensFileLineThatHoldsOnlyItsHash() {
        assertThat(run("ingest", "--new-token", "support, ops")).isZero();
        Matcher token = Pattern.compile("token: (asr_[A-Za-z0-9_-]{32})\\n").matcher(out.toString());
        assertThat(token.find()).as(out.toString()).isTrue();
        assertThat(out.toString()).contains(HexFormat.of().formatHex(Tokens.hash(token.group(1))) + " support,ops").doesNotContain(" " + token.group(1) + " ");
        assertThat(Tokens.line(token.group(1), "support,ops")).isEqualTo(HexFormat.of().formatHex(Tokens.hash(token.group(1))) + " support,ops");
    }

    @Test
    void hashesATokenReadFromStandardInput() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream("my-own-token\n".getBytes(StandardCharsets.UTF_8)));
            assertThat(run("ingest", "--hash-token", "*")).isZero();
        } finally {
            System.setIn(stdin);
        }
        assertThat(out.toString().strip()).isEqualTo(HexFormat.of().formatHex(Tokens.hash("my-own-token")) + " *");
    }

    @Test
    void badFleetsOrAMissingGatewayAreNamed() {
        assertThat(run("ingest", "--new-token", "support,,ops")).isEqualTo(1);
        assertThat(err.toString()).contains("fleets 'support,,ops' must be '*' or names separated by commas");
        assertThat(run("simulate", "--via", "gateway", "--duration", "1s")).isEqualTo(1);
        assertThat(err.toString()).contains("--via gateway needs --gateway-url and a token");
    }
}
