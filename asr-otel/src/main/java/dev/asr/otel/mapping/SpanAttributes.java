package dev.asr.otel.mapping;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A span's (or resource's) attributes by key, the first of a repeated key kept; typed reads that
 * never throw. A span's few attributes are searched in place (no map is built for the dozen
 * reads); many are indexed once.
 */
final class SpanAttributes {

    /** Up to this many attributes are searched one by one. */
    private static final int SEARCHED = 24;

    private final List<KeyValue> attributes;
    private final Map<String, AnyValue> indexed;

    private SpanAttributes(List<KeyValue> attributes, Map<String, AnyValue> indexed) {
        this.attributes = attributes;
        this.indexed = indexed;
    }

    static SpanAttributes of(List<KeyValue> attributes) {
        if (attributes.size() <= SEARCHED) {
            return new SpanAttributes(attributes, null);
        }
        Map<String, AnyValue> values = new HashMap<>(attributes.size() * 2);
        for (KeyValue attribute : attributes) {
            values.putIfAbsent(attribute.getKey(), attribute.getValue());
        }
        return new SpanAttributes(attributes, values);
    }

    private AnyValue get(String key) {
        if (indexed != null) {
            return indexed.get(key);
        }
        for (int i = 0, n = attributes.size(); i < n; i++) {
            KeyValue attribute = attributes.get(i);
            if (attribute.getKey().equals(key)) {
                return attribute.getValue();
            }
        }
        return null;
    }

    boolean has(String key) {
        return get(key) != null;
    }

    /** A string attribute (or a number or boolean as text); null when absent or empty. */
    String text(String key) {
        AnyValue value = get(key);
        if (value == null) {
            return null;
        }
        String text = switch (value.getValueCase()) {
            case STRING_VALUE -> value.getStringValue();
            case INT_VALUE -> Long.toString(value.getIntValue());
            case DOUBLE_VALUE -> Double.toString(value.getDoubleValue());
            case BOOL_VALUE -> Boolean.toString(value.getBoolValue());
            default -> null;
        };
        return text == null || text.isBlank() ? null : text;
    }

    /** A whole number (an int, a double without a fraction, or a string of digits); null when absent or not one. */
    Long whole(String key) {
        AnyValue value = get(key);
        if (value == null) {
            return null;
        }
        switch (value.getValueCase()) {
            case INT_VALUE:
                return value.getIntValue();
            case DOUBLE_VALUE:
                double d = value.getDoubleValue();
                return d == Math.rint(d) && Math.abs(d) < 9e18 ? (long) d : null;
            case STRING_VALUE:
                try {
                    return Long.parseLong(value.getStringValue().trim());
                } catch (NumberFormatException e) {
                    return null;
                }
            default:
                return null;
        }
    }

    /** A number (int, double, or a numeric string); null when absent or not one. */
    Double number(String key) {
        AnyValue value = get(key);
        if (value == null) {
            return null;
        }
        switch (value.getValueCase()) {
            case INT_VALUE:
                return (double) value.getIntValue();
            case DOUBLE_VALUE:
                return value.getDoubleValue();
            case STRING_VALUE:
                try {
                    return Double.parseDouble(value.getStringValue().trim());
                } catch (NumberFormatException e) {
                    return null;
                }
            default:
                return null;
        }
    }
}
