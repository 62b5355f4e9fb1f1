package dev.asr.otel.prices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lookup and cost rules of the price table, with costs worked out by hand (micros = tokens × price per million). */
class PriceTableTest {

    private static final Instant JULY = Instant.parse("2025-07-01T12:00:00Z");

    private static ModelPrice price(String provider, String model, String from, String input, String output, String cacheRead,
            String cacheWrite, String... aliases) {
        return new ModelPrice(provider, model, List.of(aliases), from == null ? null : LocalDate.parse(from), dec(input), dec(output),
                dec(cacheRead), dec(cacheWrite));
    }

    private static BigDecimal dec(String value) {
        return value == null ? null : new BigDecimal(value);
    }

    @Test
    void costIsTokensTimesPricePerMillionInMicrosWithCacheReadsAndWritesAtTheirOwnPrices() {
        ModelPrice sonnet = price("anthropic", "claude-sonnet-4", null, "3", "15", "0.30", "3.75");
        // 10,000 input of which 6,000 cache reads and 1,000 cache writes: 3,000 plain × 3 + 6,000 × 0.30 + 1,000 × 3.75; 500 output × 15
        assertThat(PriceTable.costMicros(sonnet, new Usage(10_000, 500, 6_000, 1_000))).isEqualTo(9_000 + 1_800 + 3_750 + 7_500);
    }

    @Test
    void aCachePriceTheTableDoesNotGiveIsTheInputPrice() {
        ModelPrice flash = price("gcp.gemini", "gemini-2.0-flash", null, "0.10", "0.40", null, null);
        // 1,000 plain × 0.10 + 1,000 cache reads × 0.10 + 100 output × 0.40
        assertThat(PriceTable.costMicros(flash, new Usage(2_000, 100, 1_000, 0))).isEqualTo(100 + 100 + 40);
    }

    @Test
    void fractionsOfAMicroRoundHalfUpOncePerCall() {
        ModelPrice nano = price("openai", "gpt-5-nano", null, "0.05", "0.40", "0.005", null);
        assertThat(PriceTable.costMicros(nano, new Usage(10, 0, 0, 0))).as("0.5 micro").isEqualTo(1);
        assertThat(PriceTable.costMicros(nano, new Usage(9, 0, 0, 0))).as("0.45 micro").isZero();
        assertThat(PriceTable.costMicros(nano, new Usage(9, 1, 0, 0))).as("0.45 + 0.40").isEqualTo(1);
    }

    @Test
    void aModelIsFoundByItsNameOrAliasCaseAsideAndNeverByAGuess() {
        PriceTable table = PriceTable.of("t", List.of(price("openai", "gpt-4o", null, "2.50", "10", "1.25", null, "gpt-4o-2024-08-06")),
                Map.of());
        assertThat(table.find(null, "GPT-4o", JULY)).isPresent();
        assertThat(table.find("openai", "gpt-4o-2024-08-06", JULY).orElseThrow().price().model()).isEqualTo("gpt-4o");
        assertThat(table.find(null, "gpt-4o-mini", JULY)).as("a longer name is another model").isEmpty();
        assertThat(table.find(null, "gpt-4o-2025-01-01", JULY)).as("an unknown snapshot").isEmpty();
        assertThat(table.find(null, null, JULY)).isEmpty();
    }

    @Test
    void theLatestDatedPriceNotAfterTheCallApplies() {
        PriceTable table = PriceTable.of("t", List.of(price("openai", "o3", "2025-04-16", "10", "40", null, null),
                price("openai", "o3", "2025-06-10", "2", "8", null, null)), Map.of());
        assertThat(table.find(null, "o3", Instant.parse("2025-06-09T23:59:59Z")).orElseThrow().price().input()).isEqualByComparingTo("10");
        assertThat(table.find(null, "o3", Instant.parse("2025-06-10T00:00:00Z")).orElseThrow().price().input()).isEqualByComparingTo("2");
        assertThat(table.find(null, "o3", Instant.parse("2025-01-01T00:00:00Z"))).as("before any price").isEmpty();
    }

    @Test
    void theCallersProviderComesFirstWhenTwoServeTheSameName() {
        PriceTable table = PriceTable.of("t", List.of(price("openai", "gpt-oss-120b", null, "0.15", "0.60", null, null),
                price("groq", "gpt-oss-120b", null, "0.10", "0.50", null, null)), Map.of());
        assertThat(table.find("groq", "gpt-oss-120b", JULY).orElseThrow().price().provider()).isEqualTo("groq");
        assertThat(table.find("OpenAI", "gpt-oss-120b", JULY).orElseThrow().price().provider()).isEqualTo("openai");
    }

    @Test
    void anOverrideLayerWinsAndTheLayersBelowPriceWhatItDoesNot() {
        PriceTable starter = PriceTable.of("starter", List.of(price("openai", "gpt-4o", null, "2.50", "10", null, null),
                price("openai", "gpt-4o-mini", null, "0.15", "0.60", null, null)), Map.of("web_search", new BigDecimal("0.01")));
        PriceTable ours = PriceTable.of("ours", List.of(price("openai", "gpt-4o", null, "2.00", "8", null, null)), Map.of());
        PriceTable layered = ours.over(starter);
        assertThat(layered.find(null, "gpt-4o", JULY).orElseThrow()).satisfies(found -> {
            assertThat(found.price().input()).isEqualByComparingTo("2.00");
            assertThat(found.source()).isEqualTo("ours");
        });
        assertThat(layered.find(null, "gpt-4o-mini", JULY).orElseThrow().source()).isEqualTo("starter");
        assertThat(layered.tool("WEB_SEARCH")).contains(new BigDecimal("0.01"));
        assertThat(PriceTable.toolMicros(new BigDecimal("0.01"))).isEqualTo(10_000);
    }

    @Test
    void negativePricesAndEmptyEntriesAreRefusedNamingTheModel() {
        assertThatThrownBy(() -> price(null, "x", null, "-1", "1", null, null)).hasMessageContaining("model x has a negative price");
        assertThatThrownBy(() -> price(null, "y", null, null, null, "1", null)).hasMessageContaining("model y has neither");
    }
}
