package dev.asr.otel.prices;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.stream.Stream;

/**
 * What one model costs, in the deployment's currency per million tokens, from a date on (UTC).
 * Cache-read and cache-write (cache-creation) input tokens have prices of their own; where a table
 * gives none, they are priced as ordinary input.
 *
 * @param provider who serves it ({@code openai}, {@code anthropic}, ...; as {@code
 *     gen_ai.provider.name} says), or null when the table does not say
 * @param model the model's name, as {@code gen_ai.response.model} reports it
 * @param aliases other names for the same model and price (dated snapshots)
 * @param from the first day (UTC) this price applies; null: always
 */
public record ModelPrice(String provider, String model, List<String> aliases, LocalDate from, BigDecimal input, BigDecimal output,
        BigDecimal cacheRead, BigDecimal cacheWrite) {

    public ModelPrice {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a price needs a model name");
        }
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        for (BigDecimal price : new BigDecimal[] {input, output, cacheRead, cacheWrite}) {
            if (price != null && price.signum() < 0) {
                throw new IllegalArgumentException("model " + model + " has a negative price: " + price);
            }
        }
        if (input == null && output == null) {
            throw new IllegalArgumentException("model " + model + " has neither an input nor an output price");
        }
    }

    /** Every name it answers to: its model name and its aliases. */
    public List<String> names() {
        return aliases.isEmpty() ? List.of(model) : Stream.concat(Stream.of(model), aliases.stream())
                .toList();
    }
}
