package dev.asr.app;

import static dev.asr.app.CrashScenario.AGENTS;
import static dev.asr.app.CrashScenario.FLEETS;
import static dev.asr.app.CrashScenario.LAST_END;
import static dev.asr.app.CrashScenario.LATE;
import static dev.asr.app.CrashScenario.PARTITIONS;
import static dev.asr.app.CrashScenario.QUIET;
import static dev.asr.app.CrashScenario.QUIET_TIMEOUT_END;
import static dev.asr.app.CrashScenario.T0;
import static dev.asr.app.CrashScenario.VIEWS;
import static dev.asr.app.CrashScenario.awaitProcessed;
import static dev.asr.app.CrashScenario.counter;
import static dev.asr.app.CrashScenario.difference;
import static dev.asr.app.CrashScenario.metricsPort;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code asr streams} as a separate process, killed with SIGKILL mid-stream and restarted: its
 * final figures, agent and fleet, equal an uninterrupted run's over the same input ({@link
 * CrashScenario}), record by record, and no row or transition is written twice (exactly-once v2,
 * read_committed). A second uninterrupted run writes the same fleet rows, about one per fleet,
 * view and window.
 */
class StreamsCrashRecoveryIntegrationTest {

    @TempDir
    Path directory;

    private CrashScenario scenario;

    @BeforeEach
    void scenario() {
        scenario = new CrashScenario(directory);
    }

    @AfterEach
    void stopProcesses() {
        scenario.stopProcesses();
    }

    @Test
    void aKilledAndRestartedRunEndsWithTheUninterruptedRunsFigures() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path schemas = directory.resolve("schemas");
        TopicNames inputs = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, inputs, new EmbeddedSchemaRegistry(schemas), PARTITIONS);
        long events = scenario.preload(bootstrap, topics, schemas);

        CrashScenario.Rows expected = scenario.uninterrupted(bootstrap, inputs, topics, schemas, "a-" + run);

        Path crashing = scenario.config("b-" + run, inputs, bootstrap, schemas);
        Process b = scenario.streams(crashing, "b1");
        long processedAtKill = awaitProcessed(metricsPort(crashing), events / 3, b);
        b.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no clean close
        assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(processedAtKill).isLessThan(events);
        Process restarted = scenario.streams(crashing, "b2");
        scenario.awaitComplete(bootstrap, "metrics-b-" + run, topics, restarted, "b2");
        assertThat(counter(metricsPort(crashing), "asr_fleet_contributions_dropped_total")).isZero();
        restarted.destroy();
        assertThat(restarted.waitFor(60, TimeUnit.SECONDS)).isTrue();
        CrashScenario.Rows actual = CrashScenario.rows(bootstrap, "metrics-b-" + run, "transitions-b-" + run, topics);

        assertThat(expected.agentRows.values().stream().filter(m -> m.getWindowEnd().equals(LAST_END)))
                .as("every agent's rows of the last closed bucket").hasSize(AGENTS * VIEWS);
        assertThat(expected.agentRows).as("a row per agent, view and bucket").hasSizeGreaterThan(AGENTS * VIEWS * 200);
        assertThat(actual.duplicateAgentRows).as("agent rows written twice").isEmpty();
        assertThat(difference(actual.agentRows, expected.agentRows)).as("agent rows that differ").isEmpty();
        assertThat(expected.transitions).isNotEmpty();
        assertThat(actual.duplicateTransitions).as("transitions written twice").isEmpty();
        assertThat(actual.transitions).isEqualTo(expected.transitions);

        // The paths this input takes, so that equal figures mean something.
        assertThat(expected.agentRows.values()).as("tasks the simulator dropped time out on event time")
                .anyMatch(m -> m.getAgentId().startsWith("trading-bot") && m.getTimedOutTasks() > 0);
        assertThat(expected.agentRows.get(QUIET + "|5s|" + QUIET_TIMEOUT_END)).as("the silent agent's task, timed out on the wall clock")
                .satisfies(m -> assertThat(m.getTimedOutTasks()).isEqualTo(1));
        assertThat(expected.agentRows.values().stream().filter(m -> m.getAgentId().equals(LATE) && m.getWindow().equals("5s")))
                .as("the late outcome settled its task, counted late, in the earliest open bucket")
                .anySatisfy(m -> {
                    assertThat(m.getLateRecords()).isEqualTo(1);
                    assertThat(m.getAutonomousSpendMicros()).isEqualTo(80_000);
                    assertThat(m.getWindowEnd()).isEqualTo(T0.plusSeconds(105));
                    assertThat(m.getTimedOutTasks()).isZero();
                });

        assertThat(expected.fleetRows).as("a fleet row per fleet, view and bucket").hasSizeGreaterThan(FLEETS * VIEWS * 200);
        assertThat(difference(actual.fleetRows, expected.fleetRows)).as("final fleet rows that differ").isEmpty();
        assertThat(expected.fleetRowsWritten).as("fleet rows written, against fleet windows: about one each")
                .isLessThanOrEqualTo(expected.fleetRows.size() + expected.fleetRows.size() / 20);

        CrashScenario.Rows again = scenario.uninterrupted(bootstrap, inputs, topics, schemas, "c-" + run);
        assertThat(difference(again.fleetRows, expected.fleetRows)).as("a second uninterrupted run's fleet rows that differ").isEmpty();
        assertThat(difference(again.agentRows, expected.agentRows)).as("a second uninterrupted run's agent rows that differ").isEmpty();
    }
}
