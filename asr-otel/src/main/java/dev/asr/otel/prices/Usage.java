package dev.asr.otel.prices;

/**
 * The tokens of one model call, as the GenAI conventions count them: {@code input} is every input
 * token ({@code gen_ai.usage.input_tokens}), cache reads and cache writes included; those two are
 * also given apart ({@code gen_ai.usage.cache_read.input_tokens}, {@code
 * gen_ai.usage.cache_creation.input_tokens}) and priced as such.
 */
public record Usage(long input, long output, long cacheRead, long cacheWrite) {

    public Usage {
        if (input < 0 || output < 0 || cacheRead < 0 || cacheWrite < 0) {
            throw new IllegalArgumentException("token counts cannot be negative");
        }
    }

    /** Input tokens that were neither read from nor written to a cache (never below 0: a runtime may count them apart). */
    public long plainInput() {
        return Math.max(0, input - cacheRead - cacheWrite);
    }
}
