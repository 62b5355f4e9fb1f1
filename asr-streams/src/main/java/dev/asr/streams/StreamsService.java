package dev.asr.streams;

import dev.asr.schemas.Topics;
import dev.asr.schemas.ops.Reachability;
import dev.asr.schemas.registry.SchemaRegistryException;
import dev.asr.streams.processor.PipelineCounters;
import dev.asr.streams.query.StateQueries;
import dev.asr.streams.state.BoundedRocksDbMemory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topology as a running service: Kafka Streams with ASR's defaults (exactly-once v2, bounded
 * RocksDB memory), its ops endpoint, and a start/stop shape.
 *
 * <p>A schema registry that cannot be reached is not a bad record: the stream thread is replaced
 * and the record retried. Any other error stops the client, loudly: Kafka Streams keeps the
 * offsets, so a restart resumes where it stopped.
 */
public final class StreamsService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamsService.class);

    private final KafkaStreams streams;
    /** Leave the group on close, unless static membership (group.instance.id) keeps the partitions for a restart. */
    private final boolean leaveGroupOnClose;
    private final PipelineCounters counters = new PipelineCounters();
    private final RestoreProgress restore = new RestoreProgress();
    private final AtomicLong rebalances = new AtomicLong();
    private final OpsEndpoint ops;
    /** Whether {@link #close} closes {@link #ops}: not when the caller opened it before the topology. */
    private final boolean ownsOps;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile Throwable failure;

    private StreamsService(StreamsSettings settings, Map<String, Object> streamsConfig, Topics topics, OpsEndpoint givenOps) {
        BoundedRocksDbMemory.limit(settings.rocksDbMemoryBytes());
        Map<String, Object> config = new HashMap<>(streamsConfig);
        config.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class.getName());
        this.ownsOps = givenOps == null;
        this.ops = givenOps != null ? givenOps
                : settings.metricsPort() < 0 ? null : new OpsEndpoint(settings.host(), settings.metricsPort(), null);
        if (ops != null) {
            // Other instances route read-API queries for the partitions this one owns to this port.
            config.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, settings.advertisedHost() + ":" + ops.port());
        }
        Properties properties = new Properties();
        properties.putAll(config);
        this.leaveGroupOnClose = !config.containsKey("group.instance.id");
        try {
            this.streams = new KafkaStreams(AsrTopology.build(settings, topics, counters, inputPartitions(properties, topics)), properties);
        } catch (RuntimeException e) {
            if (ownsOps && ops != null) {
                ops.close();
            }
            throw e;
        }
        streams.setUncaughtExceptionHandler(error -> {
            if (rootCause(error) instanceof SchemaRegistryException registry && registry.retriable()) {
                log.warn("Schema registry unavailable, retrying with a new stream thread: {}", registry.getMessage());
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            }
            failure = error;
            log.error("ASR streams stopping on an error it cannot process past: {}", rootCause(error).getMessage(), error);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.setGlobalStateRestoreListener(restore);
        streams.setStateListener((next, previous) -> {
            log.info("Kafka Streams {} -> {}", previous, next);
            if (next == KafkaStreams.State.REBALANCING) {
                rebalances.incrementAndGet();
            }
            if (next == KafkaStreams.State.NOT_RUNNING || next == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        if (ops != null) {
            Object server = config.get(StreamsConfig.APPLICATION_SERVER_CONFIG);
            ops.attach(this, streams, counters, restore, rebalances::get,
                    new StateQueries(streams, settings, HostInfo.buildFromEndpoint(server.toString())));
        }
    }

    /**
     * The ops endpoint the settings ask for ({@code asr.streams.host}, {@code asr.streams.metrics-port}),
     * open before the topology starts, so {@code /readyz} can say what it waits for; null for port -1.
     */
    public static OpsEndpoint openOps(StreamsSettings settings, Reachability reach) {
        return settings.metricsPort() < 0 ? null : new OpsEndpoint(settings.host(), settings.metricsPort(), reach);
    }

    /**
     * How many partitions the input topics have: the fleet roll-up waits for a watermark from each.
     * The topics must exist (asr streams --create-topics, or the provisioner's check, sees to it).
     */
    private static int inputPartitions(Properties properties, Topics topics) {
        Map<String, Object> adminConfig = new StreamsConfig(properties).getAdminConfigs("asr-streams-setup");
        String spend = topics.spend().name();
        try (Admin admin = Admin.create(adminConfig)) {
            TopicDescription description = admin.describeTopics(List.of(spend)).allTopicNames().get(60, TimeUnit.SECONDS).get(spend);
            return description.partitions().size();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe topic '" + spend + "' on " + adminConfig.get("bootstrap.servers") + ": "
                    + e.getCause().getMessage() + ". Create the topics (asr streams --create-topics <partitions>) and check"
                    + " bootstrap.servers", e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from Kafka at " + adminConfig.get("bootstrap.servers") + " within 60 s while"
                    + " describing topic '" + spend + "': check bootstrap.servers and that the brokers are up", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while describing topic '" + spend + "'", e);
        }
    }

    /** Builds the topology and starts it; {@code streamsConfig} is Kafka Streams' own (see {@link StreamsSettings#streamsConfig}). */
    public static StreamsService start(StreamsSettings settings, Map<String, Object> streamsConfig, Topics topics) {
        return start(settings, streamsConfig, topics, null);
    }

    /** As {@link #start(StreamsSettings, Map, Topics)}, reporting on an ops endpoint the caller opened (and closes); null: its own. */
    public static StreamsService start(StreamsSettings settings, Map<String, Object> streamsConfig, Topics topics, OpsEndpoint ops) {
        StreamsService service = new StreamsService(settings, streamsConfig, topics, ops);
        service.streams.start();
        return service;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public PipelineCounters counters() {
        return counters;
    }

    /** The error that stopped the service, or null. */
    public Throwable failure() {
        return failure;
    }

    /** Where the read API's figures are served ({@code asr.ingest.state-url} of a gateway), or null without an ops endpoint. */
    public String stateUrl() {
        return ops == null ? null : ops.baseUrl();
    }

    /** {@code http://host:port/metrics}, or null without an ops endpoint. */
    public String metricsUrl() {
        return ops == null ? null : ops.url();
    }

    /** Waits until the service stops by itself (an error) or the timeout passes; true when it stopped. */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    @Override
    public void close() {
        // Leaving hands the partitions over at once (to the other instances, or to this one when it
        // comes back) instead of after session.timeout.ms (45 s) of no processing.
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30)).withGroupMembershipOperation(leaveGroupOnClose
                ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP : CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP));
        if (ops != null && ownsOps) {
            ops.close();
        }
    }

    private static Throwable rootCause(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }
}
