package dev.asr.schemas;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as people write them in flags and settings: {@code 30s}, {@code 5m}, {@code 1h30m}, {@code 250ms}, {@code 2d}, or ISO-8601 {@code PT30S}. */
public final class Durations {

    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private Durations() {}

    /** @throws IllegalArgumentException naming the value and the accepted forms */
    public static Duration parse(String value) {
        String text = value == null ? "" : value.trim().toLowerCase();
        if (text.startsWith("p")) {
            try {
                return Duration.parse(text.toUpperCase());
            } catch (DateTimeParseException e) {
                throw invalid(value);
            }
        }
        Matcher matcher = PART.matcher(text);
        Duration total = Duration.ZERO;
        int end = 0;
        while (matcher.find() && matcher.start() == end) {
            long amount = Long.parseLong(matcher.group(1));
            total = total.plus(switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            });
            end = matcher.end();
        }
        if (end == 0 || end != text.length()) {
            throw invalid(value);
        }
        return total;
    }

    /** The shortest text {@link #parse} reads back to the same duration, e.g. {@code 1h30m}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0s";
        }
        StringBuilder out = new StringBuilder();
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
        String[] names = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < units.length; i++) {
            if (millis >= units[i]) {
                out.append(millis / units[i]).append(names[i]);
                millis %= units[i];
            }
        }
        return out.toString();
    }

    private static IllegalArgumentException invalid(String value) {
        return new IllegalArgumentException("'" + value + "' is not a duration: write e.g. 30s, 5m, 2h or 1h30m");
    }
}
