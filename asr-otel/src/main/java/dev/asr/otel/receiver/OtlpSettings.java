package dev.asr.otel.receiver;

import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.prices.GenAiPrices;
import dev.asr.otel.prices.LiteLlmPrices;
import dev.asr.otel.prices.PriceFile;
import dev.asr.otel.prices.PriceTable;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The OTLP receiver's settings: where its prices come from and how agent spans settle.
 *
 * @param prices the layered price table: {@code asr.otel.prices-file} (the project's format: a
 *     deployment's own prices), over {@code asr.otel.litellm-prices} (LiteLLM's file), over {@code
 *     asr.otel.genai-prices} (genai-prices' data file), over the starter table; each optional
 * @param mapping {@code asr.otel.assume-outcomes} (true: an agent span without {@code asr.outcome}
 *     settles from its status, marked assumed) and {@code asr.otel.task-from-conversation} (false:
 *     the task is the agent span; true: its {@code gen_ai.conversation.id} when it has one)
 * @param maxConcurrent requests decoded at once ({@code asr.otel.max-concurrent}; 0, the default: what
 *     a quarter of the heap holds with every body at {@code asr.ingest.max-body}); more get 429
 */
public record OtlpSettings(PriceTable prices, SpanMapper.Settings mapping, int maxConcurrent) {

    public static OtlpSettings from(Map<String, String> settings, String currency) {
        PriceTable prices = PriceFile.starter(currency);
        String genAi = value(settings, "asr.otel.genai-prices");
        if (genAi != null) {
            prices = GenAiPrices.read(Path.of(genAi), currency).over(prices);
        }
        String liteLlm = value(settings, "asr.otel.litellm-prices");
        if (liteLlm != null) {
            prices = LiteLlmPrices.read(Path.of(liteLlm), currency).over(prices);
        }
        String own = value(settings, "asr.otel.prices-file");
        if (own != null) {
            prices = PriceFile.read(Path.of(own), currency).over(prices);
        }
        String concurrent = value(settings, "asr.otel.max-concurrent");
        int maxConcurrent;
        try {
            maxConcurrent = concurrent == null ? 0 : Integer.parseInt(concurrent);
        } catch (NumberFormatException e) {
            maxConcurrent = -1;
        }
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException("asr.otel.max-concurrent=" + concurrent + " must be a whole number >= 0 (0: from the heap)");
        }
        return new OtlpSettings(prices, new SpanMapper.Settings(flag(settings, "asr.otel.assume-outcomes", true),
                flag(settings, "asr.otel.task-from-conversation", false)), maxConcurrent);
    }

    private static String value(Map<String, String> settings, String key) {
        String value = settings.get(key);
        return value == null || value.isBlank() ? null : value.trim();
    }

    private static boolean flag(Map<String, String> settings, String key, boolean otherwise) {
        String value = value(settings, key);
        if (value == null) {
            return otherwise;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(key + "=" + value + " must be true or false");
        };
    }
}
