package dev.asr.app;

import dev.asr.app.bench.AllowanceBenchmark;
import dev.asr.app.bench.ExporterBenchmark;
import dev.asr.app.bench.GatewayBenchmark;
import dev.asr.app.bench.OtlpBenchmark;
import dev.asr.app.bench.ScaleOutBenchmark;
import dev.asr.app.bench.StreamsBenchmark;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Benchmarks, each one command printing its figures. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Run a benchmark and print its figures.",
        subcommands = {BenchCommand.Streams.class, BenchCommand.Exporter.class, BenchCommand.Gateway.class, BenchCommand.Otlp.class, BenchCommand.Allowances.class,
                BenchCommand.Scale.class})
final class BenchCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "streams", mixinStandardHelpOptions = true,
            description = "Catch-up throughput of the full topology against a pass-through Streams app (read, decode, write) on the same"
                    + " pre-loaded events, with peak memory.")
    static final class Streams implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--events", description = "Events to pre-load (default: ${DEFAULT-VALUE}).")
        int events = 2_000_000;

        @Option(names = "--agents", description = "Simulated agents (default: ${DEFAULT-VALUE}).")
        int agents = 500;

        @Option(names = "--partitions", description = "Partitions per input topic (default: ${DEFAULT-VALUE}).")
        int partitions = 4;

        @Option(names = "--threads", description = "Stream threads of each app (default: ${DEFAULT-VALUE}).")
        int threads = 2;

        @Option(names = "--rounds", description = "Times each app runs on the same events, the last one measured; 1: the full topology"
                + " cold, first (default: ${DEFAULT-VALUE}).")
        int rounds = 2;

        @Option(names = "--set", paramLabel = "KEY=VALUE",
                description = "A setting for both apps, e.g. --set commit.interval.ms=1000 (Kafka Streams keys) or asr.* keys (the topology).")
        Map<String, String> settings = new HashMap<>();

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            return new StreamsBenchmark(events, agents, partitions, threads, rounds, settings, out).run() ? 0 : 1;
        }
    }

    @Command(name = "exporter", mixinStandardHelpOptions = true,
            description = "Scrape latency and heap of the exporter with many agents (every window of every agent pre-loaded).")
    static final class Exporter implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--agents", description = "Agents (default: ${DEFAULT-VALUE}).")
        int agents = 10_000;

        @Option(names = "--scrapes", description = "Scrapes to time (default: ${DEFAULT-VALUE}).")
        int scrapes = 200;

        @Option(names = "--fleets", description = "Fleets the agents are dealt to (default: one per 1,000 agents).")
        Integer fleets;

        @Override
        public Integer call() throws Exception {
            int dealt = fleets != null ? fleets : Math.max(1, agents / 1000);
            return new ExporterBenchmark(agents, dealt, scrapes, spec.commandLine().getOut()).run() ? 0 : 1;
        }
    }

    @Command(name = "gateway", mixinStandardHelpOptions = true,
            description = "Throughput of the HTTP ingest gateway with batched NDJSON over loopback (202 after Kafka's ack), then latency at"
                    + " a fixed rate.")
    static final class Gateway implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--duration", paramLabel = "DURATION", description = "Length of each phase (default: ${DEFAULT-VALUE}).")
        Duration duration = Duration.ofSeconds(20);

        @Option(names = "--batch", description = "Events per request in the throughput phase (default: ${DEFAULT-VALUE}).")
        int batch = 500;

        @Option(names = "--connections", description = "Concurrent connections in the throughput phase (default: ${DEFAULT-VALUE}).")
        int connections = 8;

        @Option(names = "--rate", paramLabel = "EVENTS_PER_S", description = "Fixed rate of the latency phase (default: ${DEFAULT-VALUE}).")
        double rate = 10_000;

        @Option(names = "--rate-batch", description = "Events per request in the latency phase (default: ${DEFAULT-VALUE}).")
        int rateBatch = 50;

        @Override
        public Integer call() throws Exception {
            return new GatewayBenchmark(duration, batch, connections, rate, rateBatch, spec.commandLine().getOut()).run() ? 0 : 1;
        }
    }

    @Command(name = "otlp", mixinStandardHelpOptions = true,
            description = "Throughput of POST /v1/traces with OTLP/HTTP protobuf requests of agent runs over loopback (200 after Kafka's ack),"
                    + " then latency at a fixed rate.")
    static final class Otlp implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--duration", paramLabel = "DURATION", description = "Length of each phase (default: ${DEFAULT-VALUE}).")
        Duration duration = Duration.ofSeconds(20);

        @Option(names = "--batch", description = "Spans per request, a multiple of 4 (default: ${DEFAULT-VALUE}).")
        int batch = 512;

        @Option(names = "--connections", description = "Concurrent connections in the throughput phase (default: ${DEFAULT-VALUE}).")
        int connections = 8;

        @Option(names = "--rate", paramLabel = "SPANS_PER_S", description = "Fixed rate of the latency phase (default: ${DEFAULT-VALUE}).")
        double rate = 10_000;

        @Override
        public Integer call() throws Exception {
            return new OtlpBenchmark(duration, batch, connections, rate, spec.commandLine().getOut()).run() ? 0 : 1;
        }
    }

    @Command(name = "allowances", mixinStandardHelpOptions = true,
            description = "Decisions per second of POST /v1/authorize over loopback (each written to Kafka, acks=all, before its answer;"
                    + " every ALLOW held), then latency at a fixed rate.")
    static final class Allowances implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--duration", paramLabel = "DURATION", description = "Length of each phase (default: ${DEFAULT-VALUE}).")
        Duration duration = Duration.ofSeconds(20);

        @Option(names = "--warmup", paramLabel = "DURATION", description = "Load before the measured phases, for the JIT on a small machine"
                + " (default: ${DEFAULT-VALUE}).")
        Duration warmup = Duration.ofSeconds(15);

        @Option(names = "--connections", description = "Concurrent connections in the throughput phase (default: ${DEFAULT-VALUE}).")
        int connections = 32;

        @Option(names = "--agents", description = "Agents the requests are spread over (default: ${DEFAULT-VALUE}).")
        int agents = 1_000;

        @Option(names = "--rate", paramLabel = "DECISIONS_PER_S", description = "Fixed rate of the latency phase (default: ${DEFAULT-VALUE}).")
        double rate = 2_000;

        @Option(names = "--shared", description = "Decide as one of several deciding gateways would (asr.allowance.advertised-url set:"
                + " each burst of decisions one Kafka transaction), here the group's only member.")
        boolean shared;

        @Override
        public Integer call() throws Exception {
            if (connections < 1 || agents < 1 || rate <= 0) {
                throw new IllegalArgumentException("--connections and --agents must be at least 1, --rate positive");
            }
            return new AllowanceBenchmark(warmup, duration, connections, agents, rate, shared, spec.commandLine().getOut()).run() ? 0 : 1;
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true,
            description = "On a three-node cluster: catch-up throughput of one asr streams instance against two (each its own process) on"
                    + " the same pre-loaded events, then an instance's restart with its state kept and with its state deleted (restore time"
                    + " per GB of changelog).")
    static final class Scale implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--events", description = "Simulator steps to pre-load, about one event each (default: ${DEFAULT-VALUE}).")
        int events = 300_000;

        @Option(names = "--agents", description = "Simulated agents (default: ${DEFAULT-VALUE}).")
        int agents = 500;

        @Option(names = "--partitions", description = "Partitions per input topic (default: ${DEFAULT-VALUE}).")
        int partitions = 6;

        @Override
        public Integer call() throws Exception {
            return new ScaleOutBenchmark(events, agents, partitions, spec.commandLine().getOut()).run() ? 0 : 1;
        }
    }
}
