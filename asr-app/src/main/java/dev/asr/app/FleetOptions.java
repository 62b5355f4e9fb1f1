package dev.asr.app;

import dev.asr.ingest.simulator.FleetSettings;
import picocli.CommandLine.Option;

/** The simulated fleet's flags, shared by {@code demo} and {@code simulate}. */
final class FleetOptions {

    @Option(names = "--agents", paramLabel = "N", description = "Simulated agents, dealt the five agent kinds in turn (default: ${DEFAULT-VALUE}).")
    int agents = FleetSettings.DEFAULT_AGENTS;

    @Option(names = "--rate", paramLabel = "EVENTS_PER_S", description = "Spend and outcome events per second across the fleet (default: ${DEFAULT-VALUE}).")
    double rate = FleetSettings.DEFAULT_EVENTS_PER_SECOND;

    @Option(names = "--seed", description = "Seeds the fleet's behaviour; the same seed replays the same events (default: random).")
    Long seed;

    FleetSettings settings() {
        long chosenSeed = seed != null ? seed : System.nanoTime();
        return new FleetSettings(agents, rate, chosenSeed, Long.toString(System.currentTimeMillis(), 36));
    }
}
