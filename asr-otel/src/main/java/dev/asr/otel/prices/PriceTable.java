package dev.asr.otel.prices;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Prices for the models and tools agents use, to cost the calls a runtime reports without a cost.
 * A model is found by its name (case aside) or one of its aliases, or by a loaded table's own
 * explicit match rule (genai-prices' {@code starts_with}, ...); never by a guess: a model no
 * table names is unpriced. When the call says who served it, that provider's entry comes first.
 * Of a model's dated entries, the latest not after the call applies.
 *
 * <p>Tables are layered ({@link #over}): a deployment's override file over a loaded public
 * table over the starter table; the first layer that prices a model wins.
 */
public final class PriceTable {

    /** A rule matching reported model names, beside the exact names: a public table's own (e.g. genai-prices' {@code starts_with}). */
    public record Rule(ModelPrice price, Predicate<String> matches) {}

    private final String source;
    private final Map<String, List<ModelPrice>> byName = new HashMap<>();
    private final List<Rule> rules;
    private final Map<String, BigDecimal> tools;
    private final PriceTable under;

    private PriceTable(String source, List<ModelPrice> models, List<Rule> rules, Map<String, BigDecimal> tools, PriceTable under) {
        this.source = source;
        for (ModelPrice price : models) {
            for (String name : price.names()) {
                byName.computeIfAbsent(key(name), k -> new ArrayList<>()).add(price);
            }
        }
        this.rules = List.copyOf(rules);
        this.tools = Map.copyOf(tools);
        this.under = under;
    }

    public static PriceTable of(String source, List<ModelPrice> models, Map<String, BigDecimal> toolPrices) {
        return new PriceTable(source, models, List.of(), lowerKeys(toolPrices), null);
    }

    public static PriceTable withRules(String source, List<ModelPrice> models, List<Rule> rules, Map<String, BigDecimal> toolPrices) {
        return new PriceTable(source, models, rules, lowerKeys(toolPrices), null);
    }

    /** This table first, {@code fallback} for what it does not price. */
    public PriceTable over(PriceTable fallback) {
        PriceTable copy = new PriceTable(source, List.of(), rules, tools, under == null ? fallback : under.over(fallback));
        copy.byName.putAll(byName);
        return copy;
    }

    /** A priced model: its price and the table it came from. */
    public record Found(ModelPrice price, String source) {}

    /** The price of {@code model} (served by {@code provider}, when known) at {@code at}. */
    public Optional<Found> find(String provider, String model, Instant at) {
        if (model == null || model.isBlank()) {
            return Optional.empty();
        }
        LocalDate day = at.atZone(ZoneOffset.UTC).toLocalDate();
        List<ModelPrice> candidates = byName.getOrDefault(key(model), List.of());
        if (candidates.isEmpty()) {
            candidates = byRule(model, provider);
        }
        Optional<ModelPrice> chosen = choose(candidates, provider, day);
        if (chosen.isPresent()) {
            return Optional.of(new Found(chosen.get(), source));
        }
        return under == null ? Optional.empty() : under.find(provider, model, at);
    }

    /** The dated prices of the first model whose rule matches (the provider's own first, when it is known): rules never mix models. */
    private List<ModelPrice> byRule(String model, String provider) {
        Rule first = null;
        for (Rule rule : rules) {
            if (rule.matches().test(model)) {
                if (provider == null || provider.equalsIgnoreCase(rule.price().provider())) {
                    first = rule;
                    break;
                }
                if (first == null) {
                    first = rule;
                }
            }
        }
        if (first == null) {
            return List.of();
        }
        ModelPrice found = first.price();
        return rules.stream().map(Rule::price)
                .filter(p -> p.model().equals(found.model()) && Objects.equals(p.provider(), found.provider())).toList();
    }

    private static Optional<ModelPrice> choose(List<ModelPrice> candidates, String provider, LocalDate day) {
        List<ModelPrice> inForce = candidates.stream().filter(p -> p.from() == null || !p.from().isAfter(day)).toList();
        if (provider != null && !provider.isBlank()) {
            List<ModelPrice> theirs = inForce.stream().filter(p -> provider.equalsIgnoreCase(p.provider())).toList();
            if (!theirs.isEmpty()) {
                inForce = theirs;
            }
        }
        return inForce.stream().max(Comparator.comparing(p -> p.from() == null ? LocalDate.MIN : p.from()));
    }

    /** The price of one call to {@code tool}, when a table gives one. */
    public Optional<BigDecimal> tool(String tool) {
        if (tool != null) {
            BigDecimal price = tools.get(key(tool));
            if (price != null) {
                return Optional.of(price);
            }
        }
        return under == null ? Optional.empty() : under.tool(tool);
    }

    /**
     * What {@code usage} costs at {@code price}, in micros of the currency, rounded half up once per
     * call: prices are per million tokens, so a token at 1.00 costs exactly one micro.
     */
    public static long costMicros(ModelPrice price, Usage usage) {
        BigDecimal input = price.input() == null ? BigDecimal.ZERO : price.input();
        BigDecimal output = price.output() == null ? BigDecimal.ZERO : price.output();
        BigDecimal micros = input.multiply(BigDecimal.valueOf(usage.plainInput()))
                .add(output.multiply(BigDecimal.valueOf(usage.output())))
                .add((price.cacheRead() == null ? input : price.cacheRead()).multiply(BigDecimal.valueOf(usage.cacheRead())))
                .add((price.cacheWrite() == null ? input : price.cacheWrite()).multiply(BigDecimal.valueOf(usage.cacheWrite())));
        return micros.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** What one tool call at {@code perCall} (in the currency) costs, in micros. */
    public static long toolMicros(BigDecimal perCall) {
        return perCall.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** Where this layer's prices come from (a file, "starter table of ..."). */
    public String source() {
        return source;
    }

    private static String key(String name) {
        return name.trim().toLowerCase(Locale.ROOT);
    }

    private static Map<String, BigDecimal> lowerKeys(Map<String, BigDecimal> prices) {
        Map<String, BigDecimal> lower = new HashMap<>();
        prices.forEach((name, price) -> lower.put(key(name), price));
        return lower;
    }
}
