package dev.asr.allowances.policy;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;

/** The calendar period an allowance's limit is spent over, in UTC: a day, an ISO week (from Monday) or a month. */
public enum Period {
    DAY, WEEK, MONTH;

    private static final long SECONDS_PER_DAY = 86_400;

    /** One period: from {@code start} (inclusive) to {@code end} (the next one's start). */
    private record Span(Instant start, Instant end) {

        boolean holds(Instant at) {
            return !at.isBefore(start) && at.isBefore(end);
        }
    }

    /**
     * The period asked about last. Nearly every call (each decision's cash view) asks about the
     * current one: answered without allocating, and every view shares the same two instants
     * (a remembered decision keeps its view for an hour).
     */
    private volatile Span last;

    /** When the period holding {@code at} starts. */
    public Instant start(Instant at) {
        return span(at).start();
    }

    /** When the period holding {@code at} ends (the next one's start). */
    public Instant end(Instant at) {
        return span(at).end();
    }

    private Span span(Instant at) {
        Span span = last;
        if (span == null || !span.holds(at)) {
            span = compute(at);
            last = span;
        }
        return span;
    }

    /** In UTC, from the epoch day alone (no time-zone rules to look up). */
    private Span compute(Instant at) {
        LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(at.getEpochSecond(), SECONDS_PER_DAY));
        LocalDate first = switch (this) {
            case DAY -> day;
            case WEEK -> day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> day.withDayOfMonth(1);
        };
        LocalDate next = switch (this) {
            case DAY -> first.plusDays(1);
            case WEEK -> first.plusWeeks(1);
            case MONTH -> first.plusMonths(1);
        };
        return new Span(Instant.ofEpochSecond(first.toEpochDay() * SECONDS_PER_DAY),
                Instant.ofEpochSecond(next.toEpochDay() * SECONDS_PER_DAY));
    }

    /** {@code day}, {@code week} or {@code month}, as the settings write it. */
    public static Period parse(String key, String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + "='" + value + "' must be day, week or month");
        }
    }
}
