package dev.asr.schemas.rules;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.Durations;
import dev.asr.schemas.SettingValues;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The rules every spend and outcome event must follow (SPEC §5–6), in one place for every entry
 * point: the HTTP gateway refuses a record that breaks one with a per-record error, the topology
 * sends it to the dead-letter topic, both with the same {@link Rejection} and the same message.
 * Rules are checked in order and the first one broken is reported: ids, time, task, amounts,
 * currency.
 *
 * <p>Owns the settings every service shares: {@code asr.currency} (USD), {@code
 * asr.max-clock-skew} (5m), and the longest of {@code asr.views} (24h), which bounds how old an
 * event may be when it is received ({@link #checkAge}). {@code now} is passed in, never read here.
 */
public final class EventRules {

    /** Ids ({@code event_id}, {@code agent_id}, {@code fleet}, {@code task_id}) are 1 to this many characters. */
    public static final int MAX_ID_LENGTH = 256;
    /** {@code cost_micros} and {@code value_micros}: at most a billion currency units per event. */
    public static final long MAX_AMOUNT_MICROS = 1_000_000_000_000_000L;
    /** {@code input_tokens} and {@code output_tokens}: at most a billion per event. */
    public static final long MAX_TOKENS = 1_000_000_000L;
    /** {@code human_interventions}: at most a million per outcome. */
    public static final int MAX_HUMAN_INTERVENTIONS = 1_000_000;

    public static final String DEFAULT_CURRENCY = "USD";
    public static final Duration DEFAULT_MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    /** The default of {@code asr.views}: the topology's rolling views, the longest of which bounds an event's age. */
    public static final String DEFAULT_VIEWS = "1m,5m,1h,24h";

    private final String currency;
    private final Duration maxClockSkew;
    private final long maxClockSkewMillis;
    private final Duration maxAge;

    /**
     * @param currency the one ISO 4217 currency of the deployment ({@code asr.currency})
     * @param maxClockSkew how far ahead of the receiving clock {@code occurred_at} may be ({@code asr.max-clock-skew})
     * @param maxAge how far behind the receiving clock {@code occurred_at} may be where events are
     *     received as they happen: the longest of {@code asr.views}, the oldest window an event can reach
     */
    public EventRules(String currency, Duration maxClockSkew, Duration maxAge) {
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("asr.currency='" + currency + "' is not an ISO 4217 code such as USD or EUR");
        }
        if (maxClockSkew.isNegative()) {
            throw new IllegalArgumentException("asr.max-clock-skew=" + Durations.format(maxClockSkew) + " must not be negative");
        }
        this.currency = currency;
        this.maxClockSkew = maxClockSkew;
        this.maxClockSkewMillis = maxClockSkew.toMillis();
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("the longest of asr.views (" + Durations.format(maxAge) + ") must be positive");
        }
        this.maxAge = maxAge;
    }

    /** The rules with {@code asr.currency}, {@code asr.max-clock-skew} and {@code asr.views} from {@code settings}, defaults for the rest. */
    public static EventRules from(Map<String, String> settings) {
        return new EventRules(settings.getOrDefault("asr.currency", DEFAULT_CURRENCY).trim(),
                SettingValues.duration(settings, "asr.max-clock-skew", Durations.format(DEFAULT_MAX_CLOCK_SKEW)),
                longestView(settings.getOrDefault("asr.views", DEFAULT_VIEWS)));
    }

    public static EventRules defaults() {
        return new EventRules(DEFAULT_CURRENCY, DEFAULT_MAX_CLOCK_SKEW, longestView(DEFAULT_VIEWS));
    }

    /** The longest of the comma-separated durations of {@code asr.views}. */
    private static Duration longestView(String views) {
        Duration longest = Duration.ZERO;
        for (String part : views.split(",")) {
            if (!part.isBlank()) {
                Duration length = SettingValues.duration(Map.of("asr.views", part.trim()), "asr.views", part.trim());
                longest = length.compareTo(longest) > 0 ? length : longest;
            }
        }
        return longest;
    }

    public String currency() {
        return currency;
    }

    /** The money unit in metric names: dollars for USD, euros for EUR..., else the code in lower case. */
    public String moneyUnit() {
        return moneyUnit(currency);
    }

    /** The money unit of {@code currency} (an ISO 4217 code) in metric names. */
    public static String moneyUnit(String currency) {
        return switch (currency) {
            case "USD", "CAD", "AUD", "NZD", "SGD", "HKD" -> "dollars";
            case "EUR" -> "euros";
            case "GBP" -> "pounds";
            case "JPY" -> "yen";
            case "CNY" -> "yuan";
            case "CHF" -> "francs";
            default -> currency.toLowerCase(java.util.Locale.ROOT);
        };
    }

    public Duration maxClockSkew() {
        return maxClockSkew;
    }

    public Duration maxAge() {
        return maxAge;
    }

    /** The first rule {@code e} breaks, or null when it follows them all. */
    public Violation check(SpendEvent e, long nowMillis) {
        Violation v = ids(e.getEventId(), e.getAgentId(), e.getFleet());
        if (v == null) {
            v = time(e.getOccurredAt(), nowMillis);
        }
        if (v == null && e.getTaskId() != null) {
            v = e.getTaskId().isBlank()
                    ? new Violation(Rejection.MISSING_FIELD, "task_id", "task_id is blank: leave it null for spend that serves no task")
                    : id("task_id", e.getTaskId());
        }
        if (v == null && e.getKind() == null) {
            v = missing("kind", "say what the money went on");
        }
        if (v == null) {
            v = amount("cost_micros", e.getCostMicros());
        }
        if (v == null) {
            v = amount("input_tokens", e.getInputTokens());
        }
        if (v == null) {
            v = amount("output_tokens", e.getOutputTokens());
        }
        if (v == null && !currency.equals(e.getCurrency())) {
            v = new Violation(Rejection.CURRENCY_MISMATCH, "currency", "currency is '" + e.getCurrency() + "' but this deployment counts in "
                    + currency + " (asr.currency): convert before reporting");
        }
        return v;
    }

    /** The first rule {@code e} breaks, or null when it follows them all. */
    public Violation check(OutcomeEvent e, long nowMillis) {
        Violation v = ids(e.getEventId(), e.getAgentId(), e.getFleet());
        if (v == null) {
            v = time(e.getOccurredAt(), nowMillis);
        }
        if (v == null) {
            v = e.getTaskId() == null || e.getTaskId().isBlank()
                    ? new Violation(Rejection.MISSING_FIELD, "task_id", "task_id is " + (e.getTaskId() == null ? "missing" : "blank")
                            + ": an outcome must name the task it settles")
                    : id("task_id", e.getTaskId());
        }
        if (v == null && e.getStatus() == null) {
            v = missing("status", "say how the task ended");
        }
        if (v == null) {
            v = amount("value_micros", e.getValueMicros());
        }
        if (v == null) {
            v = amount("human_interventions", e.getHumanInterventions());
        }
        return v;
    }

    /**
     * The rule of entry points that receive events as they happen (the gateway): an {@code
     * occurred_at} more than {@link #maxAge} before {@code nowMillis} would reach no window, so it
     * is refused while the sender can still hear why ({@code too-late}). Not a rule of the
     * topology, which may read hours-old records after an outage and judges lateness by each
     * agent's own clock. {@code epochNumber} is the value the sender wrote when it was a bare
     * number (or null): one that reads as a time now in seconds gets the hint that it was.
     */
    public Violation checkAge(Instant occurredAt, long nowMillis, Long epochNumber) {
        long at = occurredAt.toEpochMilli();
        if (at >= nowMillis - maxAge.toMillis()) {
            return null;
        }
        String message = "occurred_at is " + occurredAt + ", more than " + Durations.format(maxAge) + " (the longest of asr.views) before"
                + " this clock, " + Instant.ofEpochMilli(nowMillis) + ": no window can count it.";
        if (epochNumber != null && looksLikeSeconds(epochNumber, nowMillis)) {
            message += " " + epochNumber + " looks like epoch seconds; occurred_at takes epoch milliseconds (" + epochNumber * 1000
                    + ") or an ISO-8601 instant (" + Instant.ofEpochSecond(epochNumber) + ")";
        } else {
            message += " Report events as they happen; check the sender's clock";
        }
        return new Violation(Rejection.TOO_LATE, "occurred_at", message);
    }

    /** {@code number} read as seconds is within the accepted range around now. */
    private boolean looksLikeSeconds(long number, long nowMillis) {
        if (number <= 0 || number > Long.MAX_VALUE / 1000) {
            return false;
        }
        long asMillis = number * 1000;
        return asMillis >= nowMillis - maxAge.toMillis() && asMillis <= nowMillis + maxClockSkewMillis;
    }

    /**
     * Every topic is keyed by {@code agent_id}, so an agent's spend and outcomes share a partition:
     * a record keyed otherwise would be counted on the wrong partition's agent.
     */
    public static Violation key(String key, String agentId) {
        if (agentId.equals(key)) {
            return null;
        }
        return new Violation(Rejection.KEY_MISMATCH, null, "record key is " + (key == null ? "null" : "'" + key + "'")
                + " but agent_id is '" + agentId + "': key every record by its agent_id, so an agent's spend and outcomes share"
                + " a partition");
    }

    private static Violation ids(String eventId, String agentId, String fleet) {
        Violation v = requiredId("event_id", eventId, "every event needs a unique id");
        if (v == null) {
            v = requiredId("agent_id", agentId, "name the agent (gen_ai.agent.id)");
        }
        if (v == null) {
            v = requiredId("fleet", fleet, "name the agent's fleet or team");
        }
        return v;
    }

    private static Violation requiredId(String field, String value, String why) {
        if (value == null || value.isBlank()) {
            return new Violation(Rejection.MISSING_FIELD, field, field + " is " + (value == null ? "missing" : "blank") + ": " + why);
        }
        return id(field, value);
    }

    /** 1 to 256 characters (code points), none of them a control character; null when {@code value} is such an id. */
    public static Violation id(String field, String value) {
        int length = value.codePointCount(0, value.length());
        if (length > MAX_ID_LENGTH) {
            return new Violation(Rejection.INVALID_ID, field, field + " is " + length + " characters long; ids are 1 to " + MAX_ID_LENGTH
                    + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) {
                return new Violation(Rejection.INVALID_ID, field, String.format("%s holds the control character U+%04X at position %d; ids"
                        + " may not hold control characters (U+0000-U+001F, U+007F-U+009F)", field, (int) c, i));
            }
        }
        return null;
    }

    private Violation time(Instant occurredAt, long nowMillis) {
        if (occurredAt == null) {
            return missing("occurred_at", "say when it happened");
        }
        long at = occurredAt.toEpochMilli();
        if (at < 0) {
            return new Violation(Rejection.OUT_OF_RANGE, "occurred_at", "occurred_at is " + occurredAt + ", before 1970: check the sender's"
                    + " clock");
        }
        if (at > nowMillis + maxClockSkewMillis) {
            return new Violation(Rejection.FUTURE_TIMESTAMP, "occurred_at", "occurred_at is " + occurredAt + ", more than "
                    + Durations.format(maxClockSkew) + " (asr.max-clock-skew) ahead of this clock, " + Instant.ofEpochMilli(nowMillis)
                    + ": check the sender's clock");
        }
        return null;
    }

    private static Violation amount(String field, long value) {
        if (value < 0) {
            return new Violation(Rejection.NEGATIVE_AMOUNT, field, field + " is " + value + "; it must be >= 0");
        }
        return value > maxOf(field) ? tooLarge(field, Long.toString(value)) : null;
    }

    /** {@code value} (any size, as written) is above the bound of the amount or count {@code field}. */
    public static Violation tooLarge(String field, String value) {
        return new Violation(Rejection.OUT_OF_RANGE, field, field + " is " + value + "; it must be at most " + maxOf(field) + " ("
                + switch (field) {
                    case "cost_micros", "value_micros" -> "a billion currency units";
                    case "human_interventions" -> "a million";
                    default -> "a billion";
                } + ")");
    }

    private static long maxOf(String field) {
        return switch (field) {
            case "cost_micros", "value_micros" -> MAX_AMOUNT_MICROS;
            case "input_tokens", "output_tokens" -> MAX_TOKENS;
            case "human_interventions" -> MAX_HUMAN_INTERVENTIONS;
            default -> throw new IllegalArgumentException(field + " is not an amount or count of an event");
        };
    }

    private static Violation missing(String field, String why) {
        return new Violation(Rejection.MISSING_FIELD, field, field + " is missing: " + why);
    }
}
