package dev.asr.streams.processor;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.streams.fleet.FleetInput;

/** What the agent processor emits; the topology routes each kind to its topic. */
public sealed interface Output {

    /** An input record that could not be used: its original key and value, with the reason in the headers. */
    record DeadLetter(byte[] key, byte[] value) implements Output {}

    record Metrics(AgentWindowMetrics metrics) implements Output {}

    record Transition(BandTransition transition) implements Output {}

    /** For the fleet roll-up: an agent's window, or how far this partition has written its agents' windows. */
    record ToFleet(FleetInput input) implements Output {}
}
