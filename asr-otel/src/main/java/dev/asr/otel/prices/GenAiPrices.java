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
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Pydantic's genai-prices data file ({@code prices/data.json} or {@code data_slim.json}): a list
 * of providers, each with its models; a model has a {@code match} rule ({@code equals}, {@code
 * starts_with}, {@code ends_with}, {@code contains}, {@code regex}, combined with {@code or} and
 * {@code and}; compared case-insensitively) and {@code prices} in USD per million tokens ({@code
 * input_mtok}, {@code output_mtok}, {@code cache_read_mtok}, {@code cache_write_mtok}), either
 * one set or a list of sets with {@code constraint.start_date}.
 *
 * <p>Two simplifications, both documented: a tiered price ({@code {"base": 3, "tiers": [...]}},
 * a higher rate for very long prompts) is applied at its base; a set with any constraint other
 * than {@code start_date} (a time of day) is skipped, so the unconstrained set applies.
 */
public final class GenAiPrices {

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private GenAiPrices() {}

    public static PriceTable read(Path file, String currency) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString(), currency);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read genai-prices' data file " + file + ": " + e.getMessage(), e);
        }
    }

    static PriceTable parse(InputStream in, String name, String currency) throws IOException {
        if (!currency.equalsIgnoreCase("USD")) {
            throw new IllegalArgumentException(name + ": genai-prices prices in USD, the deployment counts in " + currency
                    + " (asr.currency)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(in);
        } catch (IOException e) {
            throw new IllegalArgumentException(name + " is not JSON: " + e.getMessage());
        }
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(name + " is not genai-prices' data file: expected a list of providers");
        }
        List<ModelPrice> exact = new ArrayList<>();
        List<PriceTable.Rule> rules = new ArrayList<>();
        for (JsonNode provider : root) {
            String providerId = provider.path("id").asText(null);
            for (JsonNode model : provider.path("models")) {
                String id = model.path("id").asText(null);
                if (id == null) {
                    continue;
                }
                String where = name + ", provider " + providerId + ", model " + id;
                Predicate<String> matches = model.has("match") ? rule(model.get("match"), where) : m -> m.equalsIgnoreCase(id);
                for (Map.Entry<LocalDate, JsonNode> set : priceSets(model.path("prices"), where)) {
                    JsonNode prices = set.getValue();
                    BigDecimal input = price(prices.get("input_mtok"));
                    BigDecimal output = price(prices.get("output_mtok"));
                    if (input == null && output == null) {
                        continue;
                    }
                    ModelPrice price = new ModelPrice(providerId, id, List.of(), set.getKey(), input, output, price(prices.get("cache_read_mtok")),
                            price(prices.get("cache_write_mtok")));
                    exact.add(price);
                    rules.add(new PriceTable.Rule(price, matches));
                }
            }
        }
        return PriceTable.withRules(name + " (genai-prices)", exact, rules, Map.of());
    }

    /** The model's price sets by their start day (null: no start); sets with other constraints skipped. */
    private static List<Map.Entry<LocalDate, JsonNode>> priceSets(JsonNode prices, String where) {
        List<Map.Entry<LocalDate, JsonNode>> sets = new ArrayList<>();
        if (prices.isObject()) {
            sets.add(new AbstractMap.SimpleEntry<>(null, prices));
        } else if (prices.isArray()) {
            for (JsonNode set : prices) {
                JsonNode constraint = set.path("constraint");
                LocalDate start = null;
                if (constraint.isObject()) {
                    boolean onlyStart = true;
                    for (Iterator<String> names = constraint.fieldNames(); names.hasNext(); ) {
                        onlyStart &= names.next().equals("start_date");
                    }
                    if (!onlyStart) {
                        continue;
                    }
                    try {
                        start = LocalDate.parse(constraint.path("start_date").asText());
                    } catch (DateTimeParseException e) {
                        throw new IllegalArgumentException(where + ": start_date " + constraint.path("start_date") + " is not a day");
                    }
                }
                sets.add(new AbstractMap.SimpleEntry<>(start, set.path("prices")));
            }
        }
        return sets;
    }

    /** A price: a number, or a tiered price's base. */
    private static BigDecimal price(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isObject()) {
            value = value.get("base");
        }
        return value != null && value.isNumber() ? value.decimalValue() : null;
    }

    private static Predicate<String> rule(JsonNode match, String where) {
        if (match.has("or")) {
            List<Predicate<String>> any = new ArrayList<>();
            match.get("or").forEach(clause -> any.add(rule(clause, where)));
            return model -> any.stream().anyMatch(p -> p.test(model));
        }
        if (match.has("and")) {
            List<Predicate<String>> all = new ArrayList<>();
            match.get("and").forEach(clause -> all.add(rule(clause, where)));
            return model -> all.stream().allMatch(p -> p.test(model));
        }
        if (match.has("equals")) {
            String value = lower(match.get("equals"));
            return model -> lower(model).equals(value);
        }
        if (match.has("starts_with")) {
            String value = lower(match.get("starts_with"));
            return model -> lower(model).startsWith(value);
        }
        if (match.has("ends_with")) {
            String value = lower(match.get("ends_with"));
            return model -> lower(model).endsWith(value);
        }
        if (match.has("contains")) {
            String value = lower(match.get("contains"));
            return model -> lower(model).contains(value);
        }
        if (match.has("regex")) {
            Pattern pattern = Pattern.compile(match.get("regex").asText(), Pattern.CASE_INSENSITIVE);
            return model -> pattern.matcher(model).find();
        }
        throw new IllegalArgumentException(where + ": a match rule this loader does not know: " + match);
    }

    private static String lower(JsonNode value) {
        return value.asText().toLowerCase(Locale.ROOT);
    }

    private static String lower(String value) {
        return value.toLowerCase(Locale.ROOT);
    }
}
