package dev.asr.app;

import dev.asr.schemas.Durations;
import java.time.Duration;
import picocli.CommandLine;

/** Reads duration flags with {@link Durations}: {@code 30s}, {@code 5m}, {@code 1h30m}, {@code PT30S}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    static Duration parse(String value) {
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
