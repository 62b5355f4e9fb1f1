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
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;

/**
 * Reads a body of spend or outcome records — one JSON object, a JSON array of objects, or NDJSON —
 * with the Avro field names, checking each record on its own. A record with a problem becomes an
 * error naming its index, the field and the rule; the others are kept.
 */
public final class RecordParser {

    /** A record's problem: its 0-based index in the body, the field (or null) and what is wrong. */
    public record Problem(int index, String field, String error) {}

    /** What a body held: the good records, and the problems of the others (or of the body itself). */
    public record Parsed(List<SpecificRecord> records, List<Problem> problems) {}

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxStringLength(1 << 20).build())
            .build();

    private final String currency;
    private final Duration maxClockSkew;
    private final Clock clock;

    public RecordParser(String currency, Duration maxClockSkew, Clock clock) {
        this.currency = currency;
        this.maxClockSkew = maxClockSkew;
        this.clock = clock;
    }

    public Parsed spend(byte[] body) {
        return parse(body, true);
    }

    public Parsed outcomes(byte[] body) {
        return parse(body, false);
    }

    private Parsed parse(byte[] body, boolean spend) {
        List<SpecificRecord> records = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        int index = 0;
        try (JsonParser parser = JSON.createParser(body)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                problems.add(new Problem(-1, null, "the body is empty: send a JSON object, a JSON array of objects, or NDJSON"));
                return new Parsed(records, problems);
            }
            boolean array = first == JsonToken.START_ARRAY;
            JsonToken token = array ? parser.nextToken() : first;
            while (token != null && token != JsonToken.END_ARRAY) {
                if (token != JsonToken.START_OBJECT) {
                    problems.add(new Problem(index, null, "record " + index + " is " + describe(token) + ", not a JSON object"));
                    parser.skipChildren();
                } else {
                    Fields fields = readObject(parser, index, problems);
                    if (fields != null) {
                        SpecificRecord record = spend ? spend(fields, index, problems) : outcome(fields, index, problems);
                        if (record != null) {
                            records.add(record);
                        }
                    }
                }
                index++;
                token = parser.nextToken();
            }
            if (array && parser.nextToken() != null) {
                problems.add(new Problem(-1, null, "there is more after the JSON array: send one array, or NDJSON"));
            }
        } catch (IOException e) {
            // A broken body cannot be split into records reliably: refuse all of it.
            String where = e instanceof JsonProcessingException json && json.getLocation() != null
                    ? " at line " + json.getLocation().getLineNr() + ", column " + json.getLocation().getColumnNr() : "";
            return new Parsed(List.of(), List.of(new Problem(index, null, "the body is not valid JSON" + where + " (record " + index
                    + "): " + shortMessage(e) + ". Nothing in it was accepted. Send a JSON object, a JSON array of objects,"
                    + " or NDJSON (one object per line)")));
        }
        return new Parsed(records, problems);
    }

    /** A record's fields as JSON scalars (or nested objects for attributes). */
    private static final class Fields {
        final Map<String, Object> values = new HashMap<>();
    }

    private static Fields readObject(JsonParser parser, int index, List<Problem> problems) throws IOException {
        Fields fields = new Fields();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (value == JsonToken.START_OBJECT) {
                if (!name.equals("attributes")) {
                    problems.add(new Problem(index, name, name + " must be a scalar, not an object"));
                    parser.skipChildren();
                    skipRest(parser);
                    return null;
                }
                Map<String, String> attributes = new HashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    JsonToken v = parser.nextToken();
                    if (v != JsonToken.VALUE_STRING) {
                        problems.add(new Problem(index, "attributes." + key, "attribute values must be strings"));
                        parser.skipChildren();
                        skipRest(parser);
                        skipRest(parser);
                        return null;
                    }
                    attributes.put(key, parser.getText());
                }
                fields.values.put(name, attributes);
            } else if (value == JsonToken.START_ARRAY) {
                problems.add(new Problem(index, name, name + " must be a scalar, not an array"));
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
            "input_tokens", "output_tokens", "model", "tool", "occurred_at", "attributes");
    private static final List<String> OUTCOME_FIELDS = List.of("event_id", "agent_id", "fleet", "task_id", "status", "value_micros",
            "human_interventions", "occurred_at", "attributes");

    private SpendEvent spend(Fields f, int index, List<Problem> problems) {
        Check check = new Check(f, index, SPEND_FIELDS);
        SpendEvent.Builder event = SpendEvent.newBuilder()
                .setEventId(check.optionalText("event_id", UUID.randomUUID().toString()))
                .setAgentId(check.text("agent_id"))
                .setFleet(check.text("fleet"))
                .setTaskId(check.optionalText("task_id", null))
                .setKind(check.symbol("kind", SpendKind.class))
                .setCostMicros(check.amount("cost_micros", null))
                .setCurrency(check.optionalText("currency", currency))
                .setInputTokens(check.amount("input_tokens", 0L))
                .setOutputTokens(check.amount("output_tokens", 0L))
                .setModel(check.optionalText("model", null))
                .setTool(check.optionalText("tool", null))
                .setOccurredAt(check.time("occurred_at"))
                .setAttributes(check.attributes());
        if (check.problem == null && !currency.equals(event.getCurrency())) {
            check.fail("currency", "is '" + event.getCurrency() + "' but this deployment counts in " + currency + ": convert first");
        }
        if (check.problem != null) {
            problems.add(check.problem);
            return null;
        }
        return event.build();
    }

    private OutcomeEvent outcome(Fields f, int index, List<Problem> problems) {
        Check check = new Check(f, index, OUTCOME_FIELDS);
        OutcomeEvent.Builder event = OutcomeEvent.newBuilder()
                .setEventId(check.optionalText("event_id", UUID.randomUUID().toString()))
                .setAgentId(check.text("agent_id"))
                .setFleet(check.text("fleet"))
                .setTaskId(check.text("task_id"))
                .setStatus(check.symbol("status", OutcomeStatus.class))
                .setValueMicros(check.amount("value_micros", 0L))
                .setHumanInterventions(check.count("human_interventions"))
                .setOccurredAt(check.time("occurred_at"))
                .setAttributes(check.attributes());
        if (check.problem != null) {
            problems.add(check.problem);
            return null;
        }
        return event.build();
    }

    /** Reads fields, keeping the first problem; later reads return harmless placeholders. */
    private final class Check {
        final Fields fields;
        final int index;
        Problem problem;

        Check(Fields fields, int index, List<String> known) {
            this.fields = fields;
            this.index = index;
            for (String name : fields.values.keySet()) {
                if (!known.contains(name)) {
                    fail(name, "is not a field of this record; the fields are " + known);
                    break;
                }
            }
        }

        void fail(String field, String error) {
            if (problem == null) {
                problem = new Problem(index, field, field + " " + error);
            }
        }

        String text(String field) {
            Object value = fields.values.get(field);
            if (!(value instanceof String text) || text.isBlank()) {
                fail(field, value == null ? "is required" : "must be a non-empty string");
                return "-";
            }
            return text;
        }

        String optionalText(String field, String fallback) {
            if (!fields.values.containsKey(field) || fields.values.get(field) == null) {
                return fallback;
            }
            Object value = fields.values.get(field);
            if (!(value instanceof String text) || text.isBlank()) {
                fail(field, "must be a non-empty string or absent");
                return fallback;
            }
            return text;
        }

        <E extends Enum<E>> E symbol(String field, Class<E> type) {
            E[] symbols = type.getEnumConstants();
            Object value = fields.values.get(field);
            if (value instanceof String text) {
                for (E symbol : symbols) {
                    if (symbol.name().equals(text)) {
                        return symbol;
                    }
                }
            }
            fail(field, (value == null ? "is required" : "is '" + value + "'") + "; it must be one of " + Arrays.toString(symbols));
            return symbols[0];
        }

        long amount(String field, Long fallback) {
            Object value = fields.values.get(field);
            if (value == null) {
                if (fallback == null) {
                    fail(field, "is required (an integer >= 0)");
                    return 0;
                }
                return fallback;
            }
            if (!(value instanceof Long number)) {
                fail(field, "must be a whole number, got " + value);
                return 0;
            }
            if (number < 0) {
                fail(field, "is " + number + "; it must be >= 0");
                return 0;
            }
            return number;
        }

        int count(String field) {
            long value = amount(field, 0L);
            if (value > Integer.MAX_VALUE) {
                fail(field, "is " + value + "; it must be at most " + Integer.MAX_VALUE);
                return 0;
            }
            return (int) value;
        }

        Instant time(String field) {
            Object value = fields.values.get(field);
            Instant now = clock.instant();
            if (value == null) {
                return now;
            }
            Instant at;
            try {
                at = value instanceof Long millis ? Instant.ofEpochMilli(millis) : Instant.parse(String.valueOf(value));
            } catch (DateTimeParseException | ArithmeticException e) {
                fail(field, "is '" + value + "': give an ISO-8601 instant (2026-11-26T09:00:00Z) or epoch milliseconds");
                return now;
            }
            if (at.isBefore(Instant.EPOCH)) {
                fail(field, "is " + at + ", before 1970: check the sender's clock");
                return now;
            }
            if (at.isAfter(now.plus(maxClockSkew))) {
                fail(field, "is " + at + ", more than " + maxClockSkew + " in the future: check the sender's clock");
            }
            return at;
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
