package dev.asr.app.bench;

import dev.asr.app.cluster.BrokerCluster;
import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;

/**
 * The topology scaled out, on a three-node cluster on this machine (each node its own process;
 * topics with three replicas and {@code min.insync.replicas=2}): a simulated fleet pre-loaded, then
 * how fast one {@code asr streams} instance catches up on it, and how fast two instances of another
 * application do on the same events, each instance its own process; then how long an instance
 * takes to be ready again after a clean stop with its state kept (the baseline) and with its state
 * directory deleted, when every changelog is read again: restore time, records and bytes, seconds
 * per GB of changelog.
 */
public final class ScaleOutBenchmark {

    private static final Duration PHASE_LIMIT = Duration.ofMinutes(20);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final int steps;
    private final int agents;
    private final int partitions;
    private final PrintWriter out;
    private Path directory;
    private String bootstrap;
    private TopicNames names;
    private Path schemas;

    public ScaleOutBenchmark(int steps, int agents, int partitions, PrintWriter out) {
        if (steps < 1 || agents < 1 || partitions < 1) {
            throw new IllegalArgumentException("--events, --agents and --partitions must be at least 1");
        }
        this.steps = steps;
        this.agents = agents;
        this.partitions = partitions;
        this.out = out;
    }

    /** One {@code asr streams} process: its config file, state directory, metrics port and log. */
    private record Instance(String name, Path config, Path state, int port, Path log) {}

    public boolean run() throws Exception {
        directory = Files.createTempDirectory("asr-bench-scale");
        try (BrokerCluster cluster = BrokerCluster.start(3, directory.resolve("cluster"), "localhost", 0, List.of("-Xmx512m"), line -> { })) {
            bootstrap = cluster.bootstrapServers();
            schemas = directory.resolve("schemas");
            names = new TopicNames("scale.spend", "scale.outcomes", "scale.metrics", "scale.transitions", "scale.dlq");
            Topics topics = Topics.create(names, new EmbeddedSchemaRegistry(schemas));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                TopicProvisioner provisioner = new TopicProvisioner(admin);
                provisioner.ensure(topics, partitions, provisioner.replication().factor());
            }
            out.printf(Locale.ROOT, "ASR scale-out benchmark: 3-node cluster (each node its own process), %d partitions per input topic,"
                    + " 3 replicas, min.insync.replicas=2, exactly_once_v2; each asr streams instance its own process (1 stream thread,"
                    + " -Xmx512m); %d cores%n", partitions, Runtime.getRuntime().availableProcessors());
            out.flush();
            long events = StreamsBenchmark.preload(bootstrap, topics, schemas, agents, steps, false, out);

            Instance alone = instance("scale-one", 1);
            double one = catchUp("1 instance", List.of(alone), events);
            double two = catchUp("2 instances", List.of(instance("scale-two", 1), instance("scale-two", 2)), events);
            out.printf(Locale.ROOT, "  2 instances / 1        %.2f (each instance a JVM of its own on the same %d cores as the three brokers)%n",
                    two / one, Runtime.getRuntime().availableProcessors());
            out.flush();

            Ready kept = ready("restart, state kept", alone);
            long changelogBytes = ChildBroker.topicBytes(bootstrap, t -> t.startsWith("asr-scale-one-") && t.endsWith("-changelog"))
                    .values().stream().mapToLong(Long::longValue).sum();
            ChildBroker.deleteRecursively(alone.state());
            Ready wiped = ready("restart, state deleted", alone);
            double gigabytes = changelogBytes / 1e9;
            out.printf(Locale.ROOT, "  restore                %.1f MB of changelog (one replica of each partition) read in %.2f s:"
                    + " %.0f s per GB;"
                    + " ready %.1f s later than with its state kept%n", changelogBytes / 1e6, wiped.restoringSeconds(),
                    wiped.restoringSeconds() / gigabytes, wiped.seconds() - kept.seconds());
            out.flush();
            return true;
        } finally {
            ChildBroker.deleteRecursively(directory);
        }
    }

    private Instance instance(String application, int number) throws IOException {
        String name = application + "-" + number;
        Path config = directory.resolve(name + ".properties");
        Path state = directory.resolve("state-" + name);
        int port = EmbeddedKafkaBroker.freePort("localhost");
        Files.writeString(config, String.join("\n",
                "bootstrap.servers=" + bootstrap,
                "schema.registry.url=embedded:" + schemas,
                "application.id=asr-" + application,
                "state.dir=" + state,
                "asr.topic.spend=" + names.spend(),
                "asr.topic.outcomes=" + names.outcomes(),
                "asr.topic.agent-metrics=" + names.agentMetrics() + "." + application,
                "asr.topic.band-transitions=" + names.bandTransitions() + "." + application,
                "asr.topic.dlq=" + names.deadLetters() + "." + application,
                "asr.streams.metrics-port=" + port,
                ""));
        return new Instance(name, config, state, port, directory.resolve(name + ".log"));
    }

    private Process start(Instance instance) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.asr.app.Asr", "streams",
                "--config", instance.config().toString(), "--create-topics", Integer.toString(partitions))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(instance.log().toFile())).start();
    }

    /** Starts {@code instances} together and times them until they have processed {@code events} between them; returns events/s. */
    private double catchUp(String label, List<Instance> instances, long events) throws Exception {
        List<Process> processes = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (Instance instance : instances) {
                processes.add(start(instance));
            }
            long first = 0;
            long processed = 0;
            while (processed < events) {
                check(instances, processes, start, label);
                processed = 0;
                for (Instance instance : instances) {
                    processed += Math.max(0, metric(instance, "asr_events_processed_total"));
                }
                if (first == 0 && processed > 0) {
                    first = System.nanoTime();
                }
                Thread.sleep(50);
            }
            long end = System.nanoTime();
            double rate = events / ((end - first) / 1e9);
            StringBuilder each = new StringBuilder();
            for (Instance instance : instances) {
                each.append(each.length() == 0 ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%,d", metric(instance, "asr_events_processed_total")));
            }
            out.printf(Locale.ROOT, "  %-22s %,d events in %.1f s = %,.0f ev/s (%.1f s with start-up); processed per instance: %s%n", label,
                    events, (end - first) / 1e9, rate, (end - start) / 1e9, each);
            out.flush();
            return rate;
        } finally {
            stop(processes);
        }
    }

    /** How long an instance took to be ready after its start, and how long of that it read changelogs. */
    private record Ready(double seconds, double restoringSeconds, long restored) {}

    /** Starts {@code instance} and times it until it runs with nothing left to restore. */
    private Ready ready(String label, Instance instance) throws Exception {
        long start = System.nanoTime();
        long restoreStart = 0;
        Process process = start(instance);
        try {
            while (metric(instance, "asr_streams_state{state=\"RUNNING\"}") != 1
                    || metric(instance, "asr_streams_restore_remaining_records") != 0) {
                check(List.of(instance), List.of(process), start, label);
                if (restoreStart == 0 && metric(instance, "asr_streams_restored_records_total") > 0) {
                    restoreStart = System.nanoTime();
                }
                Thread.sleep(10);
            }
            long end = System.nanoTime();
            long restored = metric(instance, "asr_streams_restored_records_total");
            Ready ready = new Ready((end - start) / 1e9, restoreStart == 0 ? 0 : (end - restoreStart) / 1e9, restored);
            out.printf(Locale.ROOT, "  %-22s ready in %.1f s (from the process's start), %,d changelog records restored%s%n", label,
                    ready.seconds(), restored, restoreStart == 0 ? "" : String.format(Locale.ROOT, " in %.2f s", ready.restoringSeconds()));
            out.flush();
            return ready;
        } finally {
            stop(List.of(process));
        }
    }

    private void check(List<Instance> instances, List<Process> processes, long start, String label) throws IOException {
        for (int i = 0; i < processes.size(); i++) {
            if (!processes.get(i).isAlive()) {
                List<String> lines = Files.readAllLines(instances.get(i).log());
                throw new IllegalStateException(label + ": " + instances.get(i).name() + " exited; its log ends:\n"
                        + String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
            }
        }
        if (System.nanoTime() - start > PHASE_LIMIT.toNanos()) {
            throw new IllegalStateException(label + " did not finish within " + PHASE_LIMIT.toMinutes() + " minutes");
        }
    }

    /** A sample of the instance's /metrics; -1 while it does not serve yet or lacks the series. */
    private static long metric(Instance instance, String series) throws InterruptedException {
        try {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + instance.port() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(series) + " ([0-9.eE+-]+)$").matcher(body);
            return matcher.find() ? (long) Double.parseDouble(matcher.group(1)) : -1;
        } catch (IOException notServingYet) {
            return -1;
        }
    }

    /** SIGTERM (a clean stop: commit, checkpoint, leave the group), SIGKILL after 60 s. */
    private static void stop(List<Process> processes) throws InterruptedException {
        processes.forEach(Process::destroy);
        for (Process process : processes) {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
