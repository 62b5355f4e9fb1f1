package dev.asr.allowances.policy;

import dev.asr.event.Band;
import java.math.BigDecimal;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The allowance of every band, with per-fleet overrides, from settings (SPEC §9):
 *
 * <pre>
 * asr.allowance.&lt;band&gt;.limit=200          # per period, in the deployment's currency
 * asr.allowance.&lt;band&gt;.period=day         # day, week or month (UTC)
 * asr.allowance.&lt;band&gt;.max-spend=20       # the largest single spend; larger ones are denied
 * asr.allowance.&lt;band&gt;.review-above=10    # larger spends need a person
 * asr.allowance.&lt;band&gt;.mode=autonomous    # or propose-only: every spend needs a person
 * asr.allowance.fleet.&lt;fleet&gt;.&lt;band&gt;.&lt;setting&gt;=...   # one fleet's override of one setting
 * </pre>
 *
 * Bands are {@code unrated} (probation), {@code reactive}, {@code assisted}, {@code self-directed}.
 * Amounts are decimal currency units with at most six decimals (micros). The defaults follow the
 * paper's shape: a self-directed agent may spend ten times an assisted one, a reactive one only
 * proposes, a new (unrated) one is on probation.
 */
public final class AllowancePolicy {

    private static final String PREFIX = "asr.allowance.";
    private static final String FLEET_PREFIX = PREFIX + "fleet.";

    static final Map<Band, Map<String, String>> DEFAULTS = Map.of(
            Band.UNRATED, Map.of("limit", "20", "period", "day", "max-spend", "2", "review-above", "1", "mode", "autonomous"),
            Band.REACTIVE, Map.of("limit", "20", "period", "day", "max-spend", "2", "review-above", "0", "mode", "propose-only"),
            Band.ASSISTED, Map.of("limit", "200", "period", "day", "max-spend", "20", "review-above", "10", "mode", "autonomous"),
            Band.SELF_DIRECTED, Map.of("limit", "2000", "period", "day", "max-spend", "200", "review-above", "100", "mode", "autonomous"));

    private final Map<Band, BandAllowance> defaults;
    private final Map<String, Map<Band, BandAllowance>> byFleet;

    private AllowancePolicy(Map<Band, BandAllowance> defaults, Map<String, Map<Band, BandAllowance>> byFleet) {
        this.defaults = defaults;
        this.byFleet = byFleet;
    }

    /** The allowance of an agent of {@code fleet} rated {@code band}. */
    public BandAllowance of(String fleet, Band band) {
        Map<Band, BandAllowance> fleetBands = byFleet.get(fleet);
        return fleetBands != null ? fleetBands.get(band) : defaults.get(band);
    }

    public static AllowancePolicy defaults() {
        return from(Map.of());
    }

    /** The policy the settings describe; a key it does not know, or a bad value, is an error naming the key. */
    public static AllowancePolicy from(Map<String, String> settings) {
        Map<Band, Map<String, String>> general = new EnumMap<>(Band.class);
        DEFAULTS.forEach((band, values) -> general.put(band, new HashMap<>(values)));
        Map<String, Map<Band, Map<String, String>>> fleets = new TreeMap<>();
        for (Map.Entry<String, String> entry : settings.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String rest = key.substring(PREFIX.length());
            Map<Band, Map<String, String>> target = general;
            if (rest.startsWith("fleet.")) {
                String afterFleet = rest.substring("fleet.".length());
                int dot = afterFleet.lastIndexOf('.', afterFleet.lastIndexOf('.') - 1);
                if (dot <= 0) {
                    throw unknown(key);
                }
                target = fleets.computeIfAbsent(afterFleet.substring(0, dot), f -> new EnumMap<>(Band.class));
                rest = afterFleet.substring(dot + 1);
            }
            int dot = rest.indexOf('.');
            if (dot < 0) {
                throw unknown(key);
            }
            Band band = band(key, rest.substring(0, dot));
            String setting = rest.substring(dot + 1);
            if (!DEFAULTS.get(Band.UNRATED).containsKey(setting)) {
                throw unknown(key);
            }
            target.computeIfAbsent(band, b -> new HashMap<>()).put(setting, entry.getValue());
        }
        Map<Band, BandAllowance> defaults = new EnumMap<>(Band.class);
        general.forEach((band, values) -> defaults.put(band, allowance(PREFIX + name(band) + ".", values)));
        Map<String, Map<Band, BandAllowance>> byFleet = new HashMap<>();
        fleets.forEach((fleet, overrides) -> {
            Map<Band, BandAllowance> bands = new EnumMap<>(Band.class);
            for (Band band : Band.values()) {
                Map<String, String> values = new HashMap<>(general.get(band));
                values.putAll(overrides.getOrDefault(band, Map.of()));
                bands.put(band, allowance(FLEET_PREFIX + fleet + "." + name(band) + ".", values));
            }
            byFleet.put(fleet, bands);
        });
        return new AllowancePolicy(defaults, byFleet);
    }

    private static BandAllowance allowance(String prefix, Map<String, String> values) {
        try {
            return new BandAllowance(micros(prefix + "limit", values.get("limit")), Period.parse(prefix + "period", values.get("period")),
                    micros(prefix + "max-spend", values.get("max-spend")), micros(prefix + "review-above", values.get("review-above")),
                    Mode.parse(prefix + "mode", values.get("mode")));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(PREFIX) ? e : new IllegalArgumentException(prefix + "*: " + e.getMessage(), e);
        }
    }

    /** A decimal amount of currency units as micros: at most six decimals, not negative. */
    public static long micros(String key, String value) {
        try {
            BigDecimal amount = new BigDecimal(value.trim());
            if (amount.signum() < 0) {
                throw new IllegalArgumentException(key + "='" + value + "' must not be negative");
            }
            return amount.movePointRight(6).longValueExact();
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException(key + "='" + value + "' is not an amount of currency units with at most six decimals,"
                    + " e.g. 250 or 0.25");
        }
    }

    /** The band as settings name it: unrated, reactive, assisted, self-directed. */
    public static String name(Band band) {
        return band.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static Band band(String key, String name) {
        for (Band band : Band.values()) {
            if (name(band).equals(name)) {
                return band;
            }
        }
        throw new IllegalArgumentException(key + ": '" + name + "' is not a band: use unrated, reactive, assisted or self-directed");
    }

    private static IllegalArgumentException unknown(String key) {
        return new IllegalArgumentException(key + " is not an allowance setting: write asr.allowance.<band>.<setting> or"
                + " asr.allowance.fleet.<fleet>.<band>.<setting>, with <band> unrated, reactive, assisted or self-directed and"
                + " <setting> limit, period, max-spend, review-above or mode");
    }
}
