package dev.asr.otel.prices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The project's own price-table format, and the starter table shipped in it. */
class PriceFileTest {

    private static final Instant NOW = Instant.parse("2025-10-01T00:00:00Z");

    private static PriceTable parse(String json) throws Exception {
        return PriceFile.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "prices.json", "USD");
    }

    @Test
    void aFileGivesModelsAliasesDatesCachePricesAndTools() throws Exception {
        PriceTable table = parse("""
                {"format": "asr-prices/1", "currency": "USD", "taken": "2025-10-01",
                 "models": [{"provider": "openai", "model": "gpt-4o", "aliases": ["gpt-4o-2024-08-06"], "from": "2024-10-01",
                             "input": 2.50, "output": 10.00, "cache_read": 1.25}],
                 "tools": [{"tool": "web_search", "per_call": 0.01}]}
                """);
        PriceTable.Found found = table.find("openai", "gpt-4o-2024-08-06", NOW).orElseThrow();
        assertThat(found.source()).isEqualTo("prices.json (prices of 2025-10-01)");
        // 1,000 input of which 400 cache reads: 600 × 2.50 + 400 × 1.25; 100 output × 10
        assertThat(PriceTable.costMicros(found.price(), new Usage(1_000, 100, 400, 0))).isEqualTo(1_500 + 500 + 1_000);
        assertThat(table.find(null, "gpt-4o", Instant.parse("2024-09-30T00:00:00Z"))).as("before its from").isEmpty();
        assertThat(table.tool("web_search")).isPresent();
    }

    @Test
    void badFilesAreRefusedNamingTheEntryAndTheFix() {
        assertThatThrownBy(() -> parse("{\"format\": \"litellm\"}")).hasMessageContaining("not a price table of format asr-prices/1");
        assertThatThrownBy(() -> parse("{\"format\": \"asr-prices/1\", \"currency\": \"EUR\", \"models\": []}"))
                .hasMessageContaining("prices in 'EUR', the deployment counts in USD (asr.currency)");
        assertThatThrownBy(() -> parse("{\"format\": \"asr-prices/1\", \"currency\": \"USD\", \"models\": [{\"model\": \"a\", \"input\": 1},"
                + " {\"model\": \"b\", \"input\": \"cheap\"}]}")).hasMessageContaining("prices.json, models[1]: \"input\" must be a number");
        assertThatThrownBy(() -> parse("{\"format\": \"asr-prices/1\", \"currency\": \"USD\", \"models\": [{\"model\": \"a\", \"input\": 1,"
                + " \"from\": \"soon\"}]}")).hasMessageContaining("models[0]: \"from\" must be a day like 2025-10-01");
        assertThatThrownBy(() -> parse("not json")).hasMessageContaining("prices.json is not JSON");
    }

    @Test
    void theStarterTableIsDatedAndPricesWidelyUsedModels() {
        PriceTable starter = PriceFile.starter("USD");
        assertThat(starter.source()).isEqualTo("the starter table (prices of 2025-10-01)");
        for (String model : new String[] {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "o3", "claude-sonnet-4-5", "claude-haiku-4-5",
                "gemini-2.5-flash", "text-embedding-3-small"}) {
            assertThat(starter.find(null, model, NOW)).as(model).isPresent();
        }
        // gpt-4o: 1,000,000 input and 100,000 output tokens = 2.50 + 1.00
        assertThat(PriceTable.costMicros(starter.find("openai", "gpt-4o", NOW).orElseThrow().price(), new Usage(1_000_000, 100_000, 0, 0)))
                .isEqualTo(3_500_000);
        assertThat(starter.find(null, "my-fine-tune", NOW)).isEmpty();
    }
}
