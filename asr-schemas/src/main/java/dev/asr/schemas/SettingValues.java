package dev.asr.schemas;

import java.time.Duration;
import java.util.Map;

/** Reads typed values out of flat string settings; a bad value fails naming its key and the expected form. */
public final class SettingValues {

    private SettingValues() {}

    public static int integer(Map<String, String> settings, String key, int fallback) {
        String value = settings.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "='" + value + "' is not a whole number");
        }
    }

    public static double number(Map<String, String> settings, String key, double fallback) {
        String value = settings.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + "='" + value + "' is not a number");
        }
    }

    public static Duration duration(Map<String, String> settings, String key, String fallback) {
        String value = settings.getOrDefault(key, fallback);
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage());
        }
    }

    /** A size such as {@code 512KB}, {@code 128MB} or {@code 1GB}, or plain bytes. */
    public static long bytes(Map<String, String> settings, String key, String fallback) {
        String value = settings.getOrDefault(key, fallback).trim().toUpperCase();
        long unit = value.endsWith("GB") ? 1L << 30 : value.endsWith("MB") ? 1L << 20 : value.endsWith("KB") ? 1L << 10 : 1;
        String digits = unit == 1 ? value : value.substring(0, value.length() - 2);
        try {
            return Math.multiplyExact(Long.parseLong(digits.trim()), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(key + "='" + settings.get(key) + "' is not a size: write e.g. 512KB, 128MB or 1GB");
        }
    }
}
