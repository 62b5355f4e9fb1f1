package dev.asr.app;

import dev.asr.ingest.simulator.FleetSettings;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The simulated fleet's flags, shared by {@code demo} and {@code simulate}. */
final class FleetOptions {

    /** How the simulator's events travel. */
    enum Via {
        sdk,
        gateway
    }

    @Option(names = "--agents", paramLabel = "N", description = "Simulated agents, dealt the five agent kinds in turn (default: ${DEFAULT-VALUE}).")
    int agents = FleetSettings.DEFAULT_AGENTS;

    @Option(names = "--rate", paramLabel = "EVENTS_PER_S", description = "Spend and outcome events per second across the fleet (default: ${DEFAULT-VALUE}).")
    double rate = FleetSettings.DEFAULT_EVENTS_PER_SECOND;

    @Option(names = "--seed", description = "Seeds the fleet's behaviour; the same seed replays the same events (default: random).")
    Long seed;

    @Option(names = "--drifts", negatable = true, fallbackValue = "true",
            description = "Add three scripted agents whose bands move: one degrading from self-directed, one improving, one hovering"
                    + " at the 0.6 boundary (default: on; --no-drifts leaves them out).")
    boolean drifts = true;

    @Option(names = "--drift-period", paramLabel = "DURATION",
            description = "How long the degrading and improving agents take to cross the bands (default: ${DEFAULT-VALUE}).")
    Duration driftPeriod = Duration.ofMinutes(20);

    @Option(names = "--via", paramLabel = "sdk|gateway",
            description = "Send through the Java SDK straight to Kafka, or as JSON through the HTTP ingest gateway (default: ${DEFAULT-VALUE}).")
    Via via = Via.sdk;

    FleetSettings settings() {
        long chosenSeed = seed != null ? seed : System.nanoTime();
        return new FleetSettings(agents, rate, chosenSeed, Long.toString(System.currentTimeMillis(), 36), drifts, driftPeriod);
    }
}
