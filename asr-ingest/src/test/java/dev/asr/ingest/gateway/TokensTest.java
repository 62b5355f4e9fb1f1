package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokensTest {

    @TempDir
    Path directory;

    private Tokens load(String content) throws Exception {
        Path file = directory.resolve("tokens");
        Files.writeString(file, content);
        return Tokens.load(file);
    }

    @Test
    void findsATokenByItsHashAndGrantsItsFleetsOnly() throws Exception {
        Tokens tokens = load("# comment\n\n" + Tokens.line("alpha", "support,sales") + "\n  " + Tokens.line("omega", "*") + "  \n");
        assertThat(tokens.find("alpha").mayWrite("support")).isTrue();
        assertThat(tokens.find("alpha").mayWrite("sales")).isTrue();
        assertThat(tokens.find("alpha").mayWrite("trading")).isFalse();
        assertThat(tokens.find("omega").mayWrite("anything")).isTrue();
        assertThat(tokens.find("alph")).isNull();
        assertThat(tokens.find("")).isNull();
    }

    @Test
    void theLineHoldsTheSha256NotTheToken() {
        // printf '%s' secret | sha256sum
        assertThat(Tokens.line("secret", "support"))
                .isEqualTo("2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b support");
    }

    @Test
    void aBadFileIsNamedWithTheLineAndTheFix() throws Exception {
        assertThatThrownBy(() -> load("# ok\nsecret-token support\n"))
                .hasMessageContaining("line 2: expected '<sha256 hex> <fleet>[,<fleet>...]'", "asr ingest --new-token")
                .hasMessageNotContaining("secret-token");
        assertThatThrownBy(() -> load("# nothing yet\n")).hasMessageContaining("grants no token");
        assertThatThrownBy(() -> Tokens.load(directory.resolve("missing")))
                .hasMessageContaining("does not exist", "asr.ingest.tokens-file");
    }

    @Test
    void theComposeGatewayTakesTheDevelopmentTokenItsSimulatorSends() throws Exception {
        Path deploy = Path.of("..", "deploy", "compose");
        String compose = Files.readString(deploy.resolve("docker-compose.yml"));
        assertThat(compose).contains("ASR_INGEST_TOKEN: asr-compose-dev-token");
        assertThat(Tokens.load(deploy.resolve("ingest-tokens")).find("asr-compose-dev-token").mayWrite("trading")).isTrue();
    }

    @Test
    void aTokenGivenTwiceIsRefusedNamingBothLines() throws Exception {
        assertThatThrownBy(() -> load("# team\n" + Tokens.line("alpha", "support") + "\n" + Tokens.line("beta", "sales") + "\n"
                + Tokens.line("alpha", "trading") + "\n"))
                .hasMessageContaining("line 4 repeats the token of line 2", "a token may appear once", "on one line")
                .hasMessageNotContaining("alpha");
        assertThatThrownBy(() -> load(Tokens.line("alpha", "support") + "\n" + Tokens.line("alpha", "support").toUpperCase()
                .replace("SUPPORT", "support") + "\n")).as("hex in either case is the same token").hasMessageContaining("repeats");
    }

    @Test
    void aCommentMayFollowATokensLine() throws Exception {
        Tokens tokens = load(Tokens.line("alpha", "support") + "   # the support team's bot, rotated 2026-11\n"
                + Tokens.line("beta", "sales,ops") + "\t#ops too\n");
        assertThat(tokens.size()).isEqualTo(2);
        assertThat(tokens.find("alpha").fleets()).containsExactly("support");
        assertThat(tokens.find("beta").fleets()).containsExactlyInAnyOrder("sales", "ops");
    }
}
