package dev.asr.otel.receiver;

import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.prices.GenAiPrices;
import dev.asr.otel.prices.LiteLlmPrices;
import dev.asr.otel.prices.PriceFile;
import dev.asr.otel.prices.PriceTable;
import dev.asr.otel.waiting.WaitingSpans;
import dev.asr.schemas.SettingValues;
import dev.asr.schemas.TopicNames;
import java.nio.file.Path;
import java.time.Duration;
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
 * @param decodeBudget bytes of request bodies (inflated) being decoded and mapped at once ({@code
 *     asr.otel.decode-budget}; 0, the default: a quarter of the heap over sixteen, as a body decodes
 *     to about sixteen times its size in span objects); a request that does not fit gets 429
 * @param waiting how spans whose agent span has not come yet wait for it: {@code asr.otel.wait} (1h:
 *     how long, and how long an agent span is remembered for children that come after it), {@code
 *     asr.otel.max-waiting-spans} (100,000) and {@code asr.otel.max-waiting-bytes} (64MB: past either,
 *     a span that would wait is refused {@code waiting-full}), {@code asr.otel.max-remembered}
 *     (200,000 spans whose agent is remembered, oldest forgotten first), {@code asr.otel.waiting-topic}
 *     ({@value #WAITING_TOPIC}: where waiting spans are kept so a restart loses none)
 */
public record OtlpSettings(PriceTable prices, SpanMapper.Settings mapping, long decodeBudget, Waiting waiting) {

    public static final String WAITING_TOPIC = "asr.otel-waiting.v1";

    /** How spans wait for their agent span (see the class). */
    public record Waiting(Duration maxWait, int maxSpans, long maxBytes, int maxRemembered, String topic) {

        public static Waiting defaults() {
            return new Waiting(Duration.ofHours(1), 100_000, 64L << 20, 200_000, WAITING_TOPIC);
        }

        public WaitingSpans spans() {
            return new WaitingSpans(maxWait, maxRemembered, maxSpans, maxBytes);
        }
    }

    public static OtlpSettings defaults(String currency) {
        return from(Map.of(), currency);
    }

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
        long decodeBudget = SettingValues.bytes(settings, "asr.otel.decode-budget", "0");
        if (decodeBudget < 0) {
            throw new IllegalArgumentException("asr.otel.decode-budget must be at least 0 (0: a quarter of the heap over sixteen)");
        }
        Duration wait = SettingValues.duration(settings, "asr.otel.wait", "1h");
        int maxSpans = SettingValues.integer(settings, "asr.otel.max-waiting-spans", 100_000);
        long maxBytes = SettingValues.bytes(settings, "asr.otel.max-waiting-bytes", "64MB");
        int maxRemembered = SettingValues.integer(settings, "asr.otel.max-remembered", 200_000);
        if (wait.isNegative() || wait.isZero()) {
            throw new IllegalArgumentException("asr.otel.wait=" + settings.get("asr.otel.wait") + " must be positive, e.g. 1h: how long a"
                    + " span waits for its agent span");
        }
        Map<String, Long> counts = Map.of("asr.otel.max-waiting-spans", (long) maxSpans, "asr.otel.max-waiting-bytes", maxBytes,
                "asr.otel.max-remembered", (long) maxRemembered);
        counts.forEach((key, count) -> {
            if (count < 0) {
                throw new IllegalArgumentException(key + "=" + settings.get(key) + " must be at least 0 (0: spans never wait; a span whose"
                        + " agent span is not in its request is refused)");
            }
        });
        String topic = value(settings, "asr.otel.waiting-topic");
        TopicNames.validate("asr.otel.waiting-topic", topic == null ? WAITING_TOPIC : topic);
        return new OtlpSettings(prices, new SpanMapper.Settings(flag(settings, "asr.otel.assume-outcomes", true),
                flag(settings, "asr.otel.task-from-conversation", false)), decodeBudget,
                new Waiting(wait, maxSpans, maxBytes, maxRemembered, topic == null ? WAITING_TOPIC : topic));
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
