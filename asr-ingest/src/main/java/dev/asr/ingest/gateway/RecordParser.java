package dev.asr.ingest.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.schemas.rules.EventRules;
import dev.asr.schemas.rules.Rejection;
import dev.asr.schemas.rules.Violation;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads a body of spend or outcome records — one JSON object, a JSON array of objects, or NDJSON —
 * with the Avro field names, checking each record on its own: first that its JSON has the right
 * shape (fields, types, symbols), then the {@link EventRules} every entry point applies, with the
 * topology's reasons and messages, and the age rule of events received as they happen ({@link
 * EventRules#checkAge}). A record with a problem becomes an error naming its index, the field, the
 * reason and the rule; the others are kept.
 *
 * <p>Memory per body is bounded whatever it holds: only the first {@value #REPORTED_PROBLEMS}
 * problems are kept (the rest are counted), and reading stops once more than {@code maxRecords}
 * valid records were found.
 */
public final class RecordParser {

    /** The reason of a record whose JSON does not have the shape of an event (a gateway-only check). */
    public static final String MALFORMED_JSON = "malformed-json";

    /**
     * A record's problem: its 0-based index in the body, the field (or null), the reason (a
     * {@link Rejection} code, or {@link #MALFORMED_JSON}) and what is wrong.
     */
    public record Problem(int index, String field, String reason, String error) {}

    /** Problems kept per body, in order; the rest are counted only. */
    public static final int REPORTED_PROBLEMS = 100;

    /**
     * What a body held: the good records and their 0-based indexes in it, the first {@value #REPORTED_PROBLEMS} problems of the
     * others (or of the body itself) and how many there were; {@code tooMany} when reading stopped
     * because the body holds more valid records than may be taken at once.
     */
    public record Parsed(List<SpecificRecord> records, List<Integer> indexes, List<Problem> problems, int rejected,
            Map<String, Integer> rejectedByReason, boolean tooMany) {

        static Parsed refused(Problem problem) {
            return new Parsed(List.of(), List.of(), List.of(problem), 1, Map.of(problem.reason(), 1), false);
        }
    }

    /** Collects problems: keeps the first {@value #REPORTED_PROBLEMS}, counts all, by reason too. */
    private static final class Problems {
        final List<Problem> kept = new ArrayList<>();
        final Map<String, Integer> byReason = new HashMap<>();
        int count;

        void add(Problem problem) {
            count++;
            byReason.merge(problem.reason(), 1, Integer::sum);
            if (kept.size() < REPORTED_PROBLEMS) {
                kept.add(problem);
            }
        }
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxStringLength(1 << 20).build())
            .build();

    private final EventRules rules;
    private final Clock clock;
    private final int maxRecords;

    /** @param maxRecords valid records taken from one body; past that reading stops and the body is {@link Parsed#tooMany} */
    public RecordParser(EventRules rules, Clock clock, int maxRecords) {
        this.rules = rules;
        this.clock = clock;
        this.maxRecords = maxRecords;
    }

    public Parsed spend(byte[] body) {
        return parse(body, true);
    }

    public Parsed outcomes(byte[] body) {
        return parse(body, false);
    }

    private Parsed parse(byte[] body, boolean spend) {
        List<SpecificRecord> records = new ArrayList<>();
        List<Integer> indexes = new ArrayList<>();
        Problems problems = new Problems();
        long now = clock.millis();
        int index = 0;
        try (JsonParser parser = JSON.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                return Parsed.refused(new Problem(-1, null, MALFORMED_JSON, "the body is empty: send a JSON object, a JSON array of objects,"
                        + " or NDJSON"));
            }
            boolean array = first == JsonToken.START_ARRAY;
            JsonToken token = array ? parser.nextToken() : first;
            while (token != null && token != JsonToken.END_ARRAY) {
                if (token != JsonToken.START_OBJECT) {
                    problems.add(new Problem(index, null, MALFORMED_JSON, "record " + index + " is " + describe(token) + ", not a JSON object"));
                    parser.skipChildren();
                } else {
                    Fields fields = readObject(parser, index, problems);
                    if (fields != null) {
                        SpecificRecord record = spend ? spend(fields, index, problems, now) : outcome(fields, index, problems, now);
                        if (record != null) {
                            if (records.size() == maxRecords) {
                                return new Parsed(records, indexes, problems.kept, problems.count, problems.byReason, true);
                            }
                            records.add(record);
                            indexes.add(index);
                        }
                    }
                }
                index++;
                token = parser.nextToken();
            }
            if (array && parser.nextToken() != null) {
                problems.add(new Problem(-1, null, MALFORMED_JSON, "there is more after the JSON array: send one array, or NDJSON"));
            }
        } catch (IOException e) {
            // A broken body cannot be split into records reliably: refuse all of it.
            String where = e instanceof JsonProcessingException json && json.getLocation() != null
                    ? " at line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() : "";
            return Parsed.refused(new Problem(index, null, MALFORMED_JSON, "the body is not valid JSON" + where + " (record " + index
                    + "): " + shortMessage(e) + ". Nothing in it was accepted. Send a JSON object, a JSON array of objects,"
                    + " or NDJSON (one object per line)"));
        }
        return new Parsed(records, indexes, problems.kept, problems.count, problems.byReason, false);
    }

    /** A record's fields as JSON scalars (or nested objects for attributes). */
    private static final class Fields {
        final Map<String, Object> values = new HashMap<>();
    }

    private static Fields readObject(JsonParser parser, int index, Problems problems) throws IOException {
        Fields fields = new Fields();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.START_OBJECT) {
                if (!name.equals("attributes")) {
                    problems.add(new Problem(index, name, MALFORMED_JSON, name + " must be a scalar, not an object"));
                    parser.skipChildren();
                    skipRest(parser);
                    return null;
                }
                Map<String, String> attributes = new HashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    JsonToken v = parser.nextToken();
                    if (v != JsonToken.VALUE_STRING) {
                        problems.add(new Problem(index, "attributes." + key, MALFORMED_JSON, "attribute values must be strings"));
                        parser.skipChildren();
                        skipRest(parser);
                        skipRest(parser);
                        return null;
                    }
                    attributes.put(key, parser.getText());
                }
                fields.values.put(name, attributes);
            } else if (value == JsonToken.START_ARRAY) {
                problems.add(new Problem(index, name, MALFORMED_JSON, name + " must be a scalar, not an array"));
                parser.skipChildren();
                skipRest(parser);
                return null;
            } else if (value == JsonToken.VALUE_NULL) {
                fields.values.put(name, null);
            } else if (value == JsonToken.VALUE_NUMBER_INT) {
                fields.values.put(name, parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? parser.getBigIntegerValue()
                        : (Object) parser.getLongValue());
            } else if (value == JsonToken.VALUE_NUMBER_FLOAT) {
                fields.values.put(name, parser.getDoubleValue());
            } else if (value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
                fields.values.put(name, value == JsonToken.VALUE_TRUE);
            } else {
                fields.values.put(name, parser.getText());
            }
        }
        return fields;
    }

    /** Skips to the end of the current object. */
    private static void skipRest(JsonParser parser) throws IOException {
        while (true) {
            JsonToken token = parser.nextToken();
            if (token == null || token == JsonToken.END_OBJECT) {
                return;
            }
            if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
                parser.skipChildren();
            }
        }
    }

    private static final List<String> SPEND_FIELDS = List.of("event_id", "agent_id", "fleet", "task_id", "kind", "cost_micros", "currency",
            "input_tokens", "output_tokens", "model", "tool", "occurred_at", "attributes", "authorization_id");
    private static final List<String> OUTCOME_FIELDS = List.of("event_id", "agent_id", "fleet", "task_id", "status", "value_micros",
            "human_interventions", "occurred_at", "attributes");

    /** A spend record; fields a sender may leave out are filled in (a random event_id, now, the deployment's currency). */
    private SpendEvent spend(Fields f, int index, Problems problems, long now) {
        Check check = new Check(f, index, SPEND_FIELDS, now);
        SpendEvent event = new SpendEvent();
        event.setEventId(check.text("event_id", null));
        event.setAgentId(check.text("agent_id", null));
        event.setFleet(check.text("fleet", null));
        event.setTaskId(check.text("task_id", null));
        event.setKind(check.symbol("kind", SpendKind.class));
        event.setCostMicros(check.amount("cost_micros", null));
        event.setCurrency(check.text("currency", rules.currency()));
        event.setInputTokens(check.amount("input_tokens", 0L));
        event.setOutputTokens(check.amount("output_tokens", 0L));
        event.setModel(check.text("model", null));
        event.setTool(check.text("tool", null));
        event.setAuthorizationId(check.text("authorization_id", null));
        event.setOccurredAt(check.time("occurred_at"));
        event.setAttributes(check.attributes());
        event.setEventId(check.eventIdOrNew(event.getEventId()));
        return check.passes(() -> rules.check(event, now), event.getOccurredAt(), problems) ? event : null;
    }

    /** An outcome record; event_id and occurred_at are filled in when left out. */
    private OutcomeEvent outcome(Fields f, int index, Problems problems, long now) {
        Check check = new Check(f, index, OUTCOME_FIELDS, now);
        OutcomeEvent event = new OutcomeEvent();
        event.setEventId(check.text("event_id", null));
        event.setAgentId(check.text("agent_id", null));
        event.setFleet(check.text("fleet", null));
        event.setTaskId(check.text("task_id", null));
        event.setStatus(check.symbol("status", OutcomeStatus.class));
        event.setValueMicros(check.amount("value_micros", 0L));
        event.setHumanInterventions(check.count("human_interventions"));
        event.setOccurredAt(check.time("occurred_at"));
        event.setAttributes(check.attributes());
        event.setEventId(check.eventIdOrNew(event.getEventId()));
        return check.passes(() -> rules.check(event, now), event.getOccurredAt(), problems) ? event : null;
    }

    /** Reads fields, keeping the first problem of the JSON's shape; later reads return harmless placeholders. */
    private final class Check {
        final Fields fields;
        final int index;
        final long now;
        Problem problem;
        /** occurred_at as the sender wrote it, when it was a bare number. */
        Long epochNumber;

        Check(Fields fields, int index, List<String> known, long now) {
            this.fields = fields;
            this.index = index;
            this.now = now;
            for (String name : fields.values.keySet()) {
                if (!known.contains(name)) {
                    fail(name, "is not a field of this record; the fields are " + known);
                    break;
                }
            }
        }

        void fail(String field, String error) {
            fail(field, MALFORMED_JSON, field + " " + error);
        }

        void fail(String field, String reason, String error) {
            if (problem == null) {
                problem = new Problem(index, field, reason, error);
            }
        }

        /**
         * A missing {@code event_id} becomes a random UUID, made only for a record whose JSON has an
         * event's shape: a body of millions of broken records makes none.
         */
        String eventIdOrNew(String given) {
            return given != null || problem != null ? given : UUID.randomUUID().toString();
        }

        /** True when the JSON had the right shape and the event follows every rule; else records the first problem. */
        boolean passes(Supplier<Violation> rulesCheck, Instant occurredAt, Problems problems) {
            if (problem == null) {
                Violation violation = rulesCheck.get();
                if (violation == null) {
                    violation = rules.checkAge(occurredAt, now, epochNumber);
                }
                if (violation != null) {
                    problem = new Problem(index, violation.field(), violation.rejection().code(), violation.message());
                }
            }
            if (problem != null) {
                problems.add(problem);
                return false;
            }
            return true;
        }

        /** A string field; absent or null gives {@code fallback} (the rules say whether it may be missing). */
        String text(String field, String fallback) {
            Object value = fields.values.get(field);
            if (value == null) {
                return fallback;
            }
            if (!(value instanceof String text)) {
                fail(field, "must be a string, got " + value);
                return fallback;
            }
            return text;
        }

        <E extends Enum<E>> E symbol(String field, Class<E> type) {
            E[] symbols = type.getEnumConstants();
            Object value = fields.values.get(field);
            if (value == null) {
                return null;
            }
            if (value instanceof String text) {
                for (E symbol : symbols) {
                    if (symbol.name().equals(text)) {
                        return symbol;
                    }
                }
            }
            fail(field, "is '" + value + "'; it must be one of " + Arrays.toString(symbols));
            return null;
        }

        long amount(String field, Long fallback) {
            Object value = fields.values.get(field);
            if (value == null) {
                if (fallback == null) {
                    fail(field, Rejection.MISSING_FIELD.code(), field + " is missing: give it as a whole number >= 0");
                    return 0;
                }
                return fallback;
            }
            if (value instanceof java.math.BigInteger huge) {
                Violation tooLarge = EventRules.tooLarge(field, huge.toString());
                fail(field, tooLarge.rejection().code(), tooLarge.message());
                return 0;
            }
            if (!(value instanceof Long number)) {
                fail(field, "must be a whole number, got " + value);
                return 0;
            }
            return number;
        }

        int count(String field) {
            long value = amount(field, 0L);
            if (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE) {
                Violation tooLarge = EventRules.tooLarge(field, Long.toString(value));
                fail(field, tooLarge.rejection().code(), tooLarge.message());
                return 0;
            }
            return (int) value;
        }

        Instant time(String field) {
            Object value = fields.values.get(field);
            if (value == null) {
                return Instant.ofEpochMilli(now);
            }
            try {
                if (value instanceof Long millis) {
                    epochNumber = millis;
                    return Instant.ofEpochMilli(millis);
                }
                return IsoInstant.parse(String.valueOf(value));
            } catch (DateTimeParseException | ArithmeticException e) {
                fail(field, "is '" + value + "': give an ISO-8601 instant (2026-11-26T09:00:00Z) or epoch milliseconds");
                return Instant.ofEpochMilli(now);
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, String> attributes() {
            Object value = fields.values.get("attributes");
            if (value == null) {
                return Map.of();
            }
            if (!(value instanceof Map<?, ?>)) {
                fail("attributes", "must be an object of string values");
                return Map.of();
            }
            return (Map<String, String>) value;
        }
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> String.valueOf(token);
        };
    }

    private static String shortMessage(Exception e) {
        String message = String.valueOf(e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage());
        int cut = message.indexOf('\n');
        return cut < 0 ? message : message.substring(0, cut);
    }
}
