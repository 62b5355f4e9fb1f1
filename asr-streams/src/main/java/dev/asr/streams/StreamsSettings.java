package dev.asr.streams;

import dev.asr.schemas.Durations;
import dev.asr.schemas.SettingValues;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.rules.EventRules;
import dev.asr.streams.bands.BandPolicy;
import dev.asr.streams.bands.BandThresholds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every setting of the topology, typed, with its default. {@link #from} reads the {@code asr.*}
 * keys; Kafka Streams' own keys ({@code application.id}, {@code num.stream.threads}...) pass
 * through {@link #streamsConfig}.
 *
 * @param events the event rules, with the deployment's currency ({@code asr.currency}, USD) and
 *     how far ahead an event may be stamped ({@code asr.max-clock-skew}, 5m)
 * @param bucket tumbling bucket size that views are summed from ({@code asr.bucket}, 1m)
 * @param grace how late an event may arrive and still count in its bucket ({@code asr.grace}, 2m)
 * @param views the rolling views, each a multiple of the bucket ({@code asr.views}, 1m,5m,1h,24h; the 1m view is the closed bucket itself)
 * @param bandView the view that decides the band ({@code asr.band.view}, 1h)
 * @param bands thresholds, hysteresis and minimum evidence, per fleet where overridden
 *     ({@code asr.band.*}, {@code asr.band.fleet.<fleet>.*})
 * @param taskTimeout a task with no spend and no outcome this long settles TIMED_OUT ({@code
 *     asr.task.timeout}, 1h)
 * @param settledRetention how long a settled task is remembered, so later spend is unattributed and
 *     a second outcome a duplicate ({@code asr.task.settled-retention}, 24h)
 * @param dedupRetention how long an event id is remembered for de-duplication, whatever time a
 *     resend carries ({@code asr.dedup.retention}, 24h)
 * @param wallClockInterval how often the wall clock moves silent agents on ({@code
 *     asr.wall-clock.interval}, 10s)
 * @param fleetMaxWait how long fleet rows wait for an agent whose clock lags behind the others of its
 *     partition; its rows then correct the fleet rows ({@code asr.fleet.max-wait}, 10m)
 * @param fleetStartWait how long (wall time) an input partition that has had no agent since its task
 *     started waits before it lets fleet windows be written without it ({@code asr.fleet.start-wait};
 *     default {@code asr.grace}): longer than a task can take to read its first record
 * @param rocksDbMemoryBytes off-heap memory all RocksDB stores of the process share: block cache,
 *     index and filter blocks and memtables ({@code asr.rocksdb.memory}, 128MB)
 * @param metricsPort port of the process's own {@code /metrics} (dead letters, duplicates, late
 *     records; {@code asr.streams.metrics-port}, 9401; 0 any free port, -1 none), with {@code
 *     /healthz} and {@code /readyz} beside it
 * @param host the address that port listens on ({@code asr.streams.host}, 0.0.0.0: every interface)
 * @param advertisedHost how other instances reach that port, for the read API's routing to the
 *     instance that owns an agent ({@code asr.streams.advertised-host}; default {@code host}, or
 *     {@code localhost} when that is every interface; in Kubernetes the pod's DNS name)
 */
public record StreamsSettings(
        TopicNames topics,
        EventRules events,
        Duration bucket,
        Duration grace,
        List<View> views,
        String bandView,
        BandPolicy bands,
        Duration taskTimeout,
        Duration settledRetention,
        Duration dedupRetention,
        Duration wallClockInterval,
        Duration fleetMaxWait,
        Duration fleetStartWait,
        long rocksDbMemoryBytes,
        int metricsPort,
        String host,
        String advertisedHost) {

    /** A rolling view: its name (the {@code window} label) and length. */
    public record View(String name, Duration length) {}

    public static final String DEFAULT_APPLICATION_ID = "asr-streams";

    public StreamsSettings {
        views = List.copyOf(views);
        if (bucket.isZero() || bucket.isNegative() || bucket.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("asr.bucket=" + Durations.format(bucket) + " must be a positive whole number of seconds");
        }
        if (grace.isNegative()) {
            throw new IllegalArgumentException("asr.grace=" + Durations.format(grace) + " must not be negative");
        }
        if (views.isEmpty()) {
            throw new IllegalArgumentException("asr.views is empty: give at least one rolling view, e.g. 5m,1h,24h");
        }
        for (View view : views) {
            if (view.length().isZero() || view.length().toMillis() % bucket.toMillis() != 0) {
                throw new IllegalArgumentException("view " + view.name() + " (asr.views) is not a whole number of buckets of "
                        + Durations.format(bucket) + " (asr.bucket)");
            }
        }
        Duration longest = views.stream().map(View::length).max(Duration::compareTo).orElseThrow();
        if (longest.compareTo(bucket.plus(grace)) < 0) {
            throw new IllegalArgumentException("the longest of asr.views (" + Durations.format(longest) + ") must be at least asr.bucket"
                    + " + asr.grace (" + Durations.format(bucket.plus(grace)) + "): an event within the grace period must fit in it");
        }
        if (views.stream().noneMatch(v -> v.name().equals(bandView))) {
            throw new IllegalArgumentException("asr.band.view=" + bandView + " is not one of asr.views ("
                    + String.join(",", views.stream().map(View::name).toList()) + ")");
        }
        if (taskTimeout.compareTo(bucket.plus(grace)) <= 0) {
            throw new IllegalArgumentException("asr.task.timeout=" + Durations.format(taskTimeout) + " must be longer than asr.bucket"
                    + " + asr.grace (" + Durations.format(bucket.plus(grace)) + ")");
        }
        if (dedupRetention.compareTo(grace.plus(bucket)) < 0) {
            throw new IllegalArgumentException("asr.dedup.retention=" + Durations.format(dedupRetention)
                    + " must be at least asr.bucket + asr.grace (" + Durations.format(bucket.plus(grace)) + ")");
        }
        if (settledRetention.compareTo(bucket.plus(grace)) < 0) {
            throw new IllegalArgumentException("asr.task.settled-retention=" + Durations.format(settledRetention)
                    + " must be at least asr.bucket + asr.grace (" + Durations.format(bucket.plus(grace)) + ")");
        }
        if (fleetMaxWait.compareTo(events.maxClockSkew().plus(bucket)) < 0) {
            throw new IllegalArgumentException("asr.fleet.max-wait=" + Durations.format(fleetMaxWait) + " must be at least"
                    + " asr.max-clock-skew + asr.bucket (" + Durations.format(events.maxClockSkew().plus(bucket)) + "): otherwise an"
                    + " agent stamping events up to asr.max-clock-skew ahead makes fleet windows complete before the on-time agents of"
                    + " its partition have written them, and their rows arrive late, as corrections");
        }
        if (wallClockInterval.isZero() || wallClockInterval.isNegative()) {
            throw new IllegalArgumentException("asr.wall-clock.interval must be positive");
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new IllegalArgumentException("asr.streams.metrics-port=" + metricsPort + " must be a TCP port, 0 (any) or -1 (none)");
        }
        if (rocksDbMemoryBytes < 16L << 20) {
            throw new IllegalArgumentException("asr.rocksdb.memory must be at least 16MB");
        }
    }

    public static StreamsSettings defaults() {
        return from(Map.of());
    }

    public static StreamsSettings from(Map<String, String> settings) {
        Map<String, String> s = new HashMap<>(settings);
        List<View> views = new ArrayList<>();
        for (String part : s.getOrDefault("asr.views", "1m,5m,1h,24h").split(",")) {
            String name = part.trim();
            if (!name.isEmpty()) {
                views.add(new View(name, SettingValues.duration(Map.of("asr.views", name), "asr.views", name)));
            }
        }
        Duration grace = SettingValues.duration(s, "asr.grace", "2m");
        return new StreamsSettings(
                TopicNames.from(s),
                EventRules.from(s),
                SettingValues.duration(s, "asr.bucket", "1m"),
                grace,
                views,
                s.getOrDefault("asr.band.view", "1h").trim(),
                bandPolicy(s),
                SettingValues.duration(s, "asr.task.timeout", "1h"),
                SettingValues.duration(s, "asr.task.settled-retention", "24h"),
                SettingValues.duration(s, "asr.dedup.retention", "24h"),
                SettingValues.duration(s, "asr.wall-clock.interval", "10s"),
                SettingValues.duration(s, "asr.fleet.max-wait", "10m"),
                SettingValues.duration(s, "asr.fleet.start-wait", Durations.format(grace)),
                SettingValues.bytes(s, "asr.rocksdb.memory", "128MB"),
                (int) SettingValues.number(s, "asr.streams.metrics-port", 9401),
                s.getOrDefault("asr.streams.host", "0.0.0.0").trim(),
                advertised(s));
    }

    private static String advertised(Map<String, String> s) {
        String host = s.getOrDefault("asr.streams.host", "0.0.0.0").trim();
        String given = s.getOrDefault("asr.streams.advertised-host", "").trim();
        if (!given.isEmpty()) {
            if (given.contains(":") || given.contains("/")) {
                throw new IllegalArgumentException("asr.streams.advertised-host=" + given + " must be a host name or address alone"
                        + " (the port is asr.streams.metrics-port)");
            }
            return given;
        }
        return host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
    }

    /** The Kafka Streams config: our defaults, overridden by every non-ASR key in {@code settings}. */
    public static Map<String, Object> streamsConfig(Map<String, String> settings) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("application.id", DEFAULT_APPLICATION_ID);
        config.put("processing.guarantee", "exactly_once_v2");
        config.put("num.stream.threads", "1");
        config.put("num.standby.replicas", "0");
        config.put("statestore.cache.max.bytes", Long.toString(32L << 20));
        // Outputs appear when a bucket closes, once a minute: a 1 s commit costs no visible latency and
        // halves the transactions of exactly-once's 100 ms default (measured: +30% throughput).
        config.put("commit.interval.ms", "1000");
        settings.forEach((key, value) -> {
            if (!key.startsWith("asr.") && !key.startsWith("schema.registry.")) {
                config.put(key, value);
            }
        });
        return config;
    }

    public View view(String name) {
        return views.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    public Duration longestView() {
        return views.stream().map(View::length).max(Duration::compareTo).orElseThrow();
    }

    private static BandPolicy bandPolicy(Map<String, String> s) {
        BandThresholds defaults = thresholds(s, "asr.band.", BandThresholds.DEFAULTS);
        Map<String, Map<String, String>> byFleet = new TreeMap<>();
        String prefix = "asr.band.fleet.";
        for (Map.Entry<String, String> e : s.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                String rest = e.getKey().substring(prefix.length());
                int dot = rest.lastIndexOf('.');
                if (dot <= 0) {
                    throw new IllegalArgumentException(e.getKey() + " is not asr.band.fleet.<fleet>.<setting>");
                }
                byFleet.computeIfAbsent(rest.substring(0, dot), f -> new HashMap<>()).put("asr.band." + rest.substring(dot + 1), e.getValue());
            }
        }
        Map<String, BandThresholds> fleets = new HashMap<>();
        byFleet.forEach((fleet, keys) -> fleets.put(fleet, thresholds(keys, "asr.band.", defaults)));
        return new BandPolicy(defaults, fleets);
    }

    private static BandThresholds thresholds(Map<String, String> s, String prefix, BandThresholds base) {
        for (String key : s.keySet()) {
            if (key.startsWith(prefix) && !key.startsWith("asr.band.fleet.") && !key.equals("asr.band.view")
                    && !List.of("assisted-from", "self-directed-from", "hysteresis", "min-tasks").contains(key.substring(prefix.length()))) {
                throw new IllegalArgumentException(key + " is not a band setting: use assisted-from, self-directed-from, hysteresis"
                        + " or min-tasks");
            }
        }
        return new BandThresholds(
                SettingValues.number(s, prefix + "assisted-from", base.assistedFrom()),
                SettingValues.number(s, prefix + "self-directed-from", base.selfDirectedFrom()),
                SettingValues.number(s, prefix + "hysteresis", base.hysteresis()),
                (long) SettingValues.number(s, prefix + "min-tasks", base.minTasks()));
    }

    public String currency() {
        return events.currency();
    }

    public long bucketMs() {
        return bucket.toMillis();
    }

    public long[] viewLengths() {
        return views.stream().mapToLong(v -> v.length().toMillis()).toArray();
    }

    /** The index in {@link #views} of the view that decides the band. */
    public int bandViewIndex() {
        return views.indexOf(view(bandView));
    }
}
