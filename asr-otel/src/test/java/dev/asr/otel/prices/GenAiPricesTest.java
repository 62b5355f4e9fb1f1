package dev.asr.otel.prices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A small file in pydantic genai-prices' data format: providers, match rules, dated and tiered prices. */
class GenAiPricesTest {

    private static final String FILE = """
            [{"id": "anthropic", "name": "Anthropic",
              "models": [
                {"id": "claude-3-5-haiku-latest", "match": {"or": [{"starts_with": "claude-3-5-haiku"}, {"starts_with": "claude-3.5-haiku"}]},
                 "prices": {"input_mtok": 0.8, "cache_write_mtok": 1, "cache_read_mtok": 0.08, "output_mtok": 4}},
                {"id": "claude-sonnet-4-6", "match": {"starts_with": "claude-sonnet-4-6"},
                 "prices": [{"prices": {"input_mtok": {"base": 3, "tiers": [{"start": 200000, "price": 6}]}, "output_mtok": 15}},
                            {"constraint": {"start_date": "2026-03-13"}, "prices": {"input_mtok": 2, "output_mtok": 10}}]}]},
             {"id": "deepseek", "name": "Deepseek",
              "models": [
                {"id": "deepseek-chat", "match": {"equals": "deepseek-chat"},
                 "prices": [{"prices": {"input_mtok": 0.27, "output_mtok": 1.1}},
                            {"constraint": {"start_time": "16:30:00Z", "end_time": "00:30:00Z"}, "prices": {"input_mtok": 0.135, "output_mtok": 0.55}}]}]}]
            """;

    private static PriceTable table() throws Exception {
        return GenAiPrices.parse(new ByteArrayInputStream(FILE.getBytes(StandardCharsets.UTF_8)), "data.json", "USD");
    }

    @Test
    void matchRulesPriceTheNamesTheyCoverCaseAside() throws Exception {
        PriceTable table = table();
        Instant now = Instant.parse("2025-10-01T00:00:00Z");
        ModelPrice haiku = table.find(null, "Claude-3.5-Haiku-20241022", now).orElseThrow().price();
        assertThat(haiku.model()).isEqualTo("claude-3-5-haiku-latest");
        // 1,000 input of which 500 cache reads: 500 × 0.8 + 500 × 0.08; 100 output × 4
        assertThat(PriceTable.costMicros(haiku, new Usage(1_000, 100, 500, 0))).isEqualTo(400 + 40 + 400);
        assertThat(table.find(null, "claude-3-opus", now)).as("no rule covers it").isEmpty();
    }

    @Test
    void datedSetsApplyFromTheirStartAndATieredPriceAtItsBase() throws Exception {
        PriceTable table = table();
        assertThat(table.find("anthropic", "claude-sonnet-4-6-20260101", Instant.parse("2026-03-12T00:00:00Z")).orElseThrow().price().input())
                .isEqualByComparingTo("3");
        assertThat(table.find("anthropic", "claude-sonnet-4-6-20260101", Instant.parse("2026-03-13T00:00:00Z")).orElseThrow().price().input())
                .isEqualByComparingTo("2");
    }

    @Test
    void aSetConstrainedByTimeOfDayIsSkipped() throws Exception {
        assertThat(table().find("deepseek", "deepseek-chat", Instant.parse("2025-10-01T17:00:00Z")).orElseThrow().price().input())
                .isEqualByComparingTo("0.27");
    }

    @Test
    void anUnknownRuleOrShapeIsRefusedNamingTheModel() {
        String bad = "[{\"id\": \"p\", \"models\": [{\"id\": \"m\", \"match\": {\"glob\": \"m*\"}, \"prices\": {\"input_mtok\": 1}}]}]";
        assertThatThrownBy(() -> GenAiPrices.parse(new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8)), "d.json", "USD"))
                .hasMessageContaining("d.json, provider p, model m: a match rule this loader does not know");
        assertThatThrownBy(() -> GenAiPrices.parse(new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8)), "d.json", "USD"))
                .hasMessageContaining("not genai-prices' data file");
    }
}
