package dev.asr.otel.prices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A small file in LiteLLM's model-price format (USD per token). */
class LiteLlmPricesTest {

    private static final Instant NOW = Instant.parse("2025-10-01T00:00:00Z");
    private static final String FILE = """
            {
              "sample_spec": {"max_tokens": "LEGACY", "input_cost_per_token": 0.0, "output_cost_per_token": 0.0, "litellm_provider": "one of"},
              "gpt-4o": {"max_tokens": 16384, "input_cost_per_token": 2.5e-06, "output_cost_per_token": 1e-05,
                         "cache_read_input_token_cost": 1.25e-06, "litellm_provider": "openai", "mode": "chat"},
              "anthropic/claude-sonnet-4-20250514": {"input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                         "cache_read_input_token_cost": 3e-07, "cache_creation_input_token_cost": 3.75e-06,
                         "litellm_provider": "anthropic", "mode": "chat"},
              "dall-e-3": {"output_cost_per_image": 0.04, "litellm_provider": "openai", "mode": "image_generation"}
            }
            """;

    private static PriceTable table() throws Exception {
        return LiteLlmPrices.parse(new ByteArrayInputStream(FILE.getBytes(StandardCharsets.UTF_8)), "litellm.json", "USD");
    }

    @Test
    void perTokenPricesBecomePricesPerMillionWithCachePrices() throws Exception {
        PriceTable table = table();
        ModelPrice gpt = table.find("openai", "gpt-4o", NOW).orElseThrow().price();
        assertThat(gpt.input()).isEqualByComparingTo("2.5");
        assertThat(gpt.output()).isEqualByComparingTo("10");
        assertThat(gpt.cacheRead()).isEqualByComparingTo("1.25");
        ModelPrice sonnet = table.find("anthropic", "claude-sonnet-4-20250514", NOW).orElseThrow().price();
        // 2,000 input of which 1,000 cache writes: 1,000 × 3 + 1,000 × 3.75; 100 output × 15
        assertThat(PriceTable.costMicros(sonnet, new Usage(2_000, 100, 0, 1_000))).isEqualTo(3_000 + 3_750 + 1_500);
        assertThat(table.find(null, "anthropic/claude-sonnet-4-20250514", NOW)).as("the key itself").isPresent();
    }

    @Test
    void entriesWithoutTokenPricesAndTheSampleAreSkipped() throws Exception {
        PriceTable table = table();
        assertThat(table.find(null, "dall-e-3", NOW)).isEmpty();
        assertThat(table.find(null, "sample_spec", NOW)).isEmpty();
        assertThat(table.source()).isEqualTo("litellm.json (LiteLLM)");
    }

    @Test
    void anotherCurrencyOrShapeIsRefused() {
        assertThatThrownBy(() -> LiteLlmPrices.parse(new ByteArrayInputStream(FILE.getBytes(StandardCharsets.UTF_8)), "l.json", "EUR"))
                .hasMessageContaining("LiteLLM prices in USD");
        assertThatThrownBy(() -> LiteLlmPrices.parse(new ByteArrayInputStream("[]".getBytes(StandardCharsets.UTF_8)), "l.json", "USD"))
                .hasMessageContaining("l.json is not LiteLLM's price file");
    }
}
