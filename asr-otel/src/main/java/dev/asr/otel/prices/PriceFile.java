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
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The project's own price-table format (JSON; documented in the README, "Price table"):
 *
 * <pre>{@code
 * {"format": "asr-prices/1", "currency": "USD", "taken": "2025-10-01",
 *  "models": [{"provider": "openai", "model": "gpt-4o", "aliases": ["gpt-4o-2024-08-06"], "from": "2024-10-01",
 *              "input": 2.50, "output": 10.00, "cache_read": 1.25, "cache_write": null}],
 *  "tools": [{"tool": "web_search", "per_call": 0.01}]}
 * }</pre>
 *
 * Model prices are per million tokens, tool prices per call, both in {@code currency}, which must
 * be the deployment's ({@code asr.currency}). {@code from} (a UTC day) is when a price starts to
 * apply; {@code aliases}, {@code cache_read}, {@code cache_write} and {@code from} are optional.
 * The starter table shipped with the gateway is such a file, and so is a deployment's override.
 */
public final class PriceFile {

    public static final String FORMAT = "asr-prices/1";
    /** The starter table: widely used models at their public list prices, dated. */
    public static final String STARTER = "starter-prices.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private PriceFile() {}

    public static PriceTable read(Path file, String currency) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), currency);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the price table " + file + ": " + e.getMessage(), e);
        }
    }

    /** The starter table shipped in this jar. */
    public static PriceTable starter(String currency) {
        try (InputStream in = PriceFile.class.getResourceAsStream(STARTER)) {
            if (in == null) {
                throw new IllegalStateException(STARTER + " is missing from the build");
            }
            return parse(in, "the starter table", currency);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static PriceTable parse(InputStream in, String name, String currency) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " is not JSON: " + e.getMessage());
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(name + " is not a price table of format " + FORMAT + " (its \"format\" is "
                    + (root == null ? "missing" : root.path("format")) + "); for LiteLLM's or genai-prices' files use their loaders");
        }
        String theirs = root.path("currency").asText("");
        if (!theirs.equalsIgnoreCase(currency)) {
            throw new IllegalArgumentException(name + " prices in '" + theirs + "', the deployment counts in " + currency
                    + " (asr.currency): convert the table");
        }
        List<ModelPrice> models = new ArrayList<>();
        int index = 0;
        for (JsonNode entry : root.path("models")) {
            String where = name + ", models[" + index++ + "]";
            try {
                List<String> aliases = new ArrayList<>();
                entry.path("aliases").forEach(alias -> aliases.add(alias.asText()));
                models.add(new ModelPrice(text(entry, "provider"), text(entry, "model"), aliases, day(entry, "from", where),
                        price(entry, "input", where), price(entry, "output", where), price(entry, "cache_read", where),
                        price(entry, "cache_write", where)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        Map<String, BigDecimal> tools = new HashMap<>();
        index = 0;
        for (JsonNode entry : root.path("tools")) {
            String where = name + ", tools[" + index++ + "]";
            String tool = text(entry, "tool");
            BigDecimal perCall = price(entry, "per_call", where);
            if (tool == null || perCall == null) {
                throw new IllegalArgumentException(where + ": a tool price needs \"tool\" and \"per_call\"");
            }
            tools.put(tool, perCall);
        }
        String taken = root.path("taken").asText("");
        return PriceTable.of(taken.isEmpty() ? name : name + " (prices of " + taken + ")", models, tools);
    }

    private static String text(JsonNode entry, String field) {
        JsonNode value = entry.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static BigDecimal price(JsonNode entry, String field, String where) {
        JsonNode value = entry.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a number (per million tokens, or per call), got " + value);
        }
        return value.decimalValue();
    }

    private static LocalDate day(JsonNode entry, String field, String where) {
        String value = text(entry, field);
        if (value == null) {
            return null;
        }
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a day like 2025-10-01, got " + value);
        }
    }
}
