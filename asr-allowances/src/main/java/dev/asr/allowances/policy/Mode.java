package dev.asr.allowances.policy;

import java.util.Locale;

/** Whether a band's agents may spend on their own within their allowance, or only propose (every spend goes to a person). */
public enum Mode {
    AUTONOMOUS, PROPOSE_ONLY;

    public static Mode parse(String key, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "autonomous" -> AUTONOMOUS;
            case "propose-only" -> PROPOSE_ONLY;
            default -> throw new IllegalArgumentException(key + "='" + value + "' must be autonomous or propose-only");
        };
    }
}
