package dev.asr.streams.bands;

import java.util.Map;

/** The thresholds per fleet: overrides where a fleet has them, the defaults elsewhere. */
public record BandPolicy(BandThresholds defaults, Map<String, BandThresholds> fleets) {

    public BandPolicy {
        fleets = Map.copyOf(fleets);
    }

    public static BandPolicy of(BandThresholds defaults) {
        return new BandPolicy(defaults, Map.of());
    }

    public BandThresholds forFleet(String fleet) {
        return fleets.getOrDefault(fleet, defaults);
    }
}
