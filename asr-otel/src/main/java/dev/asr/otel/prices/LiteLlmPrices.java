package dev.asr.otel.prices;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LiteLLM's model price file ({@code model_prices_and_context_window.json}): one object per model
 * name with {@code input_cost_per_token}, {@code output_cost_per_token}, {@code
 * cache_read_input_token_cost}, {@code cache_creation_input_token_cost} (in USD per token) and
 * {@code litellm_provider}. Entries without a token price (images, audio by the second) and the
 * {@code sample_spec} entry are skipped. Names like {@code openai/gpt-4o} also answer to {@code gpt-4o}
 * for that provider.
 */
public final class LiteLlmPrices {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

    private LiteLlmPrices() {}

    public static PriceTable read(Path file, String currency) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), currency);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read LiteLLM's price file " + file + ": " + e.getMessage(), e);
        }
    }

    static PriceTable parse(InputStream in, String name, String currency) throws IOException {
        if (!currency.equalsIgnoreCase("USD")) {
            throw new IllegalArgumentException(name + ": LiteLLM prices in USD, the deployment counts in " + currency + " (asr.currency)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(name + " is not LiteLLM's price file: expected an object of model names");
        }
        List<ModelPrice> models = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : iterable(root)) {
            JsonNode spec = entry.getValue();
            BigDecimal input = perMillion(spec.get("input_cost_per_token"));
            BigDecimal output = perMillion(spec.get("output_cost_per_token"));
            if (entry.getKey().equals("sample_spec") || (input == null && output == null)) {
                continue;
            }
            String provider = spec.path("litellm_provider").asText(null);
            String model = entry.getKey();
            List<String> aliases = new ArrayList<>();
            int slash = model.indexOf('/');
            if (provider != null && slash > 0 && model.substring(0, slash).equalsIgnoreCase(provider)) {
                aliases.add(model.substring(slash + 1));
            }
            models.add(new ModelPrice(provider, model, aliases, null, input, output, perMillion(spec.get("cache_read_input_token_cost")),
                    perMillion(spec.get("cache_creation_input_token_cost"))));
        }
        return PriceTable.of(name + " (LiteLLM)", models, Map.of());
    }

    private static BigDecimal perMillion(JsonNode perToken) {
        if (perToken == null || !perToken.isNumber()) {
            return null;
        }
        return perToken.decimalValue().multiply(MILLION).stripTrailingZeros();
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode root) {
        return root::fields;
    }
}
