package dev.asr.exporter.prometheus;

import static dev.asr.exporter.Rows.activeAt;
import static dev.asr.exporter.Rows.row;
import static dev.asr.exporter.Rows.transition;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.Band;
import dev.asr.exporter.ExporterSettings;
import dev.asr.exporter.kafka.TopicFeed;
import dev.asr.exporter.state.FleetState;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What /metrics says for a state built by hand, as the endpoint builds it (expire, then the agent
 * and fleet series, then the exporter's own): names, labels, absent ratios, counters, TTL, cap, the
 * per-agent switch.
 */
class AsrCollectorTest {

    private static final Instant END = Instant.now().minusSeconds(30);

    @TempDir
    Path directory;

    private String scrape(Map<String, String> overrides, FleetState state) throws Exception {
        Map<String, String> settings = new HashMap<>(overrides);
        ExporterSettings exporter = ExporterSettings.from(settings);
        Topics topics = Topics.create(TopicNames.DEFAULTS, new EmbeddedSchemaRegistry(directory));
        TopicFeed feed = new TopicFeed(Map.of("bootstrap.servers", "localhost:1"), topics, state, exporter.agentTtl());
        try {
            state.expire(System.currentTimeMillis() - exporter.agentTtl().toMillis());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrometheusTextFormatWriter.create().write(out, new AsrCollector(exporter, state).collect(), EscapingScheme.UNDERSCORE_ESCAPING);
            PrometheusTextFormatWriter.create().write(out, new ExporterCollector(exporter, state, feed, "test").collect(),
                    EscapingScheme.UNDERSCORE_ESCAPING);
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            feed.close();
        }
    }

    private static FleetState state() {
        return new FleetState("1h", "1m");
    }

    @Test
    void perAgentGaugesCarryFleetAgentAndWindow() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        state.onMetrics(row("bot-1", "trading", "1h", END, Band.SELF_DIRECTED, 1_000_000, 800_000), now, false);
        state.onMetrics(row("bot-1", "trading", "5m", END, Band.SELF_DIRECTED, 200_000, 100_000), now, false);
        assertThat(scrape(Map.of(), state)).as("per-agent gauges for 1h only by default").doesNotContain("window=\"5m\"");
        String text = scrape(Map.of("asr.exporter.agent-windows", "5m,1h"), state);
        assertThat(text)
                .contains("asr_ratio{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 0.8\n")
                .contains("asr_ratio{agent=\"bot-1\",fleet=\"trading\",window=\"5m\"} 0.5\n")
                .contains("asr_band{agent=\"bot-1\",fleet=\"trading\"} 3.0\n")
                .contains("asr_win_ratio{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 0.7\n")
                .contains("asr_autonomous_roi{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 2.4")
                .contains("asr_cost_per_action_dollars{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 0.05\n")
                .contains("asr_idle_spend_ratio{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 0.1\n")
                .contains("asr_value_per_token_dollars{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 0.0024\n")
                .contains("asr_fleet_agents{band=\"self_directed\",fleet=\"trading\"} 1.0\n")
                .contains("asr_fleet_agents{band=\"unrated\",fleet=\"trading\"} 0.0\n")
                .contains("asr_exporter_info{currency=\"USD\",version=\"test\"} 1\n");
        assertThat(text.lines().filter(line -> !line.startsWith("#")))
                .as("no sample carries a timestamp: name{labels} value, nothing after")
                .allSatisfy(line -> assertThat(line.split(" ")).hasSize(2));
    }

    @Test
    void anUndefinedRatioHasNoSample() throws Exception {
        FleetState state = state();
        state.onMetrics(row("idle-1", "ops", "1h", END, Band.UNRATED, 0, 0), System.currentTimeMillis(), false);
        String text = scrape(Map.of(), state);
        assertThat(text).contains("asr_band{agent=\"idle-1\",fleet=\"ops\"} 0.0")
                .doesNotContain("asr_ratio{agent=\"idle-1\"")
                .doesNotContain("asr_win_ratio{agent=\"idle-1\"")
                .doesNotContain("NaN");
    }

    @Test
    void countersAddUpTheBucketRowsReadLiveNotTheReplayedOnes() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        state.onMetrics(row("bot-1", "trading", "1m", END.minusSeconds(120), Band.ASSISTED, 9_000_000, 9_000_000), now, true);
        state.onMetrics(row("bot-1", "trading", "1m", END.minusSeconds(60), Band.ASSISTED, 1_000_000, 500_000), now, false);
        state.onMetrics(row("bot-1", "trading", "1m", END, Band.ASSISTED, 2_000_000, 500_000), now, false);
        state.onMetrics(row("bot-1", "trading", "1m", END, Band.ASSISTED, 2_000_000, 500_000), now, false); // a window seen again
        state.onMetrics(row("bot-1", "trading", "1h", END, Band.ASSISTED, 12_000_000, 10_000_000), now, false); // not a counter view
        String text = scrape(Map.of(), state);
        assertThat(text)
                .contains("asr_spend_dollars_total{agent=\"bot-1\",fleet=\"trading\"} 3.0\n")
                .contains("asr_autonomous_spend_dollars_total{agent=\"bot-1\",fleet=\"trading\"} 1.0\n")
                .contains("asr_value_dollars_total{agent=\"bot-1\",fleet=\"trading\"} 3.0\n");
    }

    @Test
    void aNewFleetsTransitionsAreShownAtZeroOnceBeforeTheFirstIsCounted() throws Exception {
        FleetState state = state();
        state.onMetrics(row("bot-1", "trading", "1h", END, Band.ASSISTED, 1, 1), System.currentTimeMillis(), false);
        state.onTransition(transition("bot-1", "trading", Band.SELF_DIRECTED, Band.ASSISTED, END));
        long before = state.version();
        String first = scrape(Map.of(), state);
        assertThat(first).as("the first scrape shows the new fleet's counters at zero: increase() then sees its first rating")
                .contains("asr_band_transitions_total{fleet=\"trading\",from=\"self_directed\",to=\"assisted\"} 0.0\n");
        assertThat(first.lines().filter(l -> l.startsWith("asr_band_transitions_total{fleet=\"trading\""))).hasSize(12);
        assertThat(state.version()).as("shown: the next scrape must render again").isGreaterThan(before);

        String second = scrape(Map.of(), state);
        assertThat(second).contains("asr_band_transitions_total{fleet=\"trading\",from=\"self_directed\",to=\"assisted\"} 1.0\n")
                .contains("asr_band_transitions_total{fleet=\"trading\",from=\"unrated\",to=\"reactive\"} 0.0\n");
        state.onTransition(transition("bot-1", "trading", Band.ASSISTED, Band.SELF_DIRECTED, END.plusSeconds(60)));
        assertThat(scrape(Map.of(), state)).as("a shown fleet counts at once")
                .contains("asr_band_transitions_total{fleet=\"trading\",from=\"assisted\",to=\"self_directed\"} 1.0\n");
    }

    @Test
    void anAgentLeavesTheTtlAfterItsLastEventEvenWhileItsLongViewsStillWriteRows() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        Instant lastEvent = Instant.ofEpochMilli(now).minusSeconds(120);
        // A silent agent's 24h view keeps writing rows for a day: they arrive now, but say its last event was two minutes ago.
        state.onMetrics(activeAt(row("quiet", "trading", "24h", END, Band.ASSISTED, 10, 5), lastEvent), now, false);
        state.onMetrics(activeAt(row("busy", "trading", "24h", END, Band.ASSISTED, 10, 5), Instant.ofEpochMilli(now)), now, false);
        String text = scrape(Map.of("asr.exporter.agent-ttl", "1m"), state);
        assertThat(text).contains("agent=\"busy\"").doesNotContain("agent=\"quiet\"").contains("asr_exporter_agents 1.0");
    }

    @Test
    void rowsWrittenBeforeTheLastEventTimeExistedCountAsActivityWhenRead() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        state.onMetrics(activeAt(row("old", "trading", "1h", END, Band.ASSISTED, 10, 5), null), now - 120_000, false);
        state.onMetrics(activeAt(row("new", "trading", "1h", END, Band.ASSISTED, 10, 5), null), now, false);
        String text = scrape(Map.of("asr.exporter.agent-ttl", "1m"), state);
        assertThat(text).contains("agent=\"new\"").doesNotContain("agent=\"old\"");
    }

    @Test
    void theCapKeepsTheMostRecentlyActiveAgentsAndCountsTheRest() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 5; i++) {
            // Rows read in the opposite order of the agents' activity: the cap goes by activity, not by arrival.
            state.onMetrics(activeAt(row("bot-" + i, "trading", "1h", END, Band.ASSISTED, 10, 5), Instant.ofEpochMilli(now - i * 1000L)),
                    now - (5 - i) * 1000L, false);
        }
        String text = scrape(Map.of("asr.exporter.max-agents", "3"), state);
        assertThat(text).contains("agent=\"bot-0\"", "agent=\"bot-1\"", "agent=\"bot-2\"").doesNotContain("agent=\"bot-3\"")
                .contains("asr_exporter_agents_dropped 2.0")
                .contains("asr_fleet_agents{band=\"assisted\",fleet=\"trading\"} 5.0");
    }

    @Test
    void fiftyThousandAgentsInFiveThousandFleetsKeepEveryFleetFamilyWithinTheCap() throws Exception {
        FleetState state = new FleetState("1h", "1m", java.util.Set.of("1h"));
        long now = System.currentTimeMillis();
        for (int fleet = 0; fleet < 5_000; fleet++) {
            Instant active = Instant.ofEpochMilli(now - fleet * 10L);
            for (int agent = 0; agent < 10; agent++) {
                state.onMetrics(activeAt(row("bot-" + agent, "fleet-" + fleet, "1h", END, Band.ASSISTED, 10, 5), active), now, false);
            }
            state.onMetrics(activeAt(row(null, "fleet-" + fleet, "1h", END, Band.ASSISTED, 100, 50), active), now, false);
            state.onTransition(transition("bot-0", "fleet-" + fleet, Band.UNRATED, Band.ASSISTED, END));
        }
        String text = scrape(Map.of("asr.exporter.max-agents", "1000"), state);
        assertThat(series(text, "asr_fleet_agents{")).isEqualTo(1000 * Band.values().length);
        assertThat(series(text, "asr_fleet_ratio{")).isEqualTo(1000);
        assertThat(series(text, "asr_band_transitions_total{")).isEqualTo(1000 * Band.values().length * (Band.values().length - 1));
        assertThat(series(text, "asr_ratio{")).isEqualTo(1000);
        assertThat(text).contains("asr_exporter_fleets 5000.0", "asr_exporter_fleets_dropped 4000.0", "asr_exporter_agents_dropped 49000.0")
                .as("the most recently active fleets are shown, each with all its agents counted")
                .contains("asr_fleet_agents{band=\"assisted\",fleet=\"fleet-0\"} 10.0", "fleet=\"fleet-999\"")
                .doesNotContain("fleet=\"fleet-1000\"");
    }

    private static long series(String text, String prefix) {
        return text.lines().filter(line -> line.startsWith(prefix)).count();
    }

    @Test
    void aFleetWithNoLiveAgentLeavesTheFleetSeries() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        Instant stale = Instant.ofEpochMilli(now).minusSeconds(600);
        state.onMetrics(activeAt(row("bot-1", "gone", "1h", END, Band.ASSISTED, 10, 5), stale), now, false);
        state.onMetrics(activeAt(row(null, "gone", "1h", END, Band.ASSISTED, 10, 5), stale), now, false);
        state.onTransition(transition("bot-1", "gone", Band.SELF_DIRECTED, Band.ASSISTED, END));
        state.onMetrics(row("bot-2", "here", "1h", END, Band.ASSISTED, 10, 5), now, false);
        state.onMetrics(row(null, "here", "1h", END, Band.ASSISTED, 10, 5), now, false);
        String text = scrape(Map.of("asr.exporter.agent-ttl", "5m"), state);
        assertThat(text).doesNotContain("fleet=\"gone\"").contains("asr_fleet_ratio{fleet=\"here\",window=\"1h\"}")
                .contains("asr_band_transitions_total{fleet=\"here\"");
    }

    @Test
    void twoFleetsEachWithAnAgentOfTheSameIdAreTwoAgents() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        state.onMetrics(row("bot-1", "alpha", "1h", END, Band.SELF_DIRECTED, 100, 90), now, false);
        state.onMetrics(row("bot-1", "beta", "1h", END, Band.REACTIVE, 100, 10), now, false);
        String text = scrape(Map.of(), state);
        assertThat(text).contains("asr_ratio{agent=\"bot-1\",fleet=\"alpha\",window=\"1h\"} 0.9\n")
                .contains("asr_ratio{agent=\"bot-1\",fleet=\"beta\",window=\"1h\"} 0.1\n")
                .contains("asr_exporter_agents 2.0");
    }

    @Test
    void perAgentSeriesOffLeavesFleetAndExporterSeries() throws Exception {
        FleetState state = state();
        long now = System.currentTimeMillis();
        state.onMetrics(row("bot-1", "trading", "1h", END, Band.SELF_DIRECTED, 100, 90), now, false);
        state.onMetrics(row(null, "trading", "1h", END, Band.SELF_DIRECTED, 100, 90), now, false);
        String text = scrape(Map.of("asr.exporter.per-agent", "false"), state);
        assertThat(text).doesNotContain("agent=").contains("asr_fleet_ratio{fleet=\"trading\",window=\"1h\"} 0.9\n")
                .contains("asr_fleet_agents{band=\"self_directed\",fleet=\"trading\"} 1.0").contains("asr_exporter_up");
    }

    @Test
    void otherCurrenciesNameTheirUnit() {
        assertThat(ExporterSettings.from(Map.of("asr.currency", "EUR")).moneyUnit()).isEqualTo("euros");
        assertThat(ExporterSettings.from(Map.of()).moneyUnit()).isEqualTo("dollars");
        assertThat(ExporterSettings.from(Map.of("asr.currency", "SEK")).moneyUnit()).isEqualTo("sek");
    }
}
