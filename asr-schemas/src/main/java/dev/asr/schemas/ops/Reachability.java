package dev.asr.schemas.ops;

import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.registry.SchemaRegistryException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a service's Kafka cluster and schema registry answer, asked in the background for as long
 * as the service runs: every {@link #PROBE_TIMEOUT} at most after a failure (backing off from 1 s to
 * 30 s), every {@link #HEALTHY_PERIOD} while both answer. What stands in the way is
 * {@link #problem()}, naming the address and the likely fix; it goes to {@code /readyz} and is
 * logged once each time it changes, so a service started before its broker says so within
 * seconds, and says again when the broker comes.
 */
public final class Reachability implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Reachability.class);
    /** How long one question to the cluster may take. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long the first question may take: shorter, so a service started before its broker says so
     * within seconds of starting even on a busy machine (a slower first answer only logs early).
     */
    public static final Duration FIRST_PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration HEALTHY_PERIOD = Duration.ofSeconds(10);
    private static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String service;
    private final String bootstrap;
    private final Map<String, Object> adminConfig;
    private final SchemaRegistry registry;
    private final Thread thread;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final CountDownLatch firstAnswer = new CountDownLatch(1);
    private volatile String problem = "not checked yet";
    private volatile boolean reached;

    /**
     * @param service names the service in the log, e.g. "asr streams"
     * @param clientConfig the service's Kafka client settings (bootstrap servers, security)
     * @param registry checked too when not null
     */
    public Reachability(String service, Map<String, Object> clientConfig, SchemaRegistry registry) {
        this.service = service;
        this.bootstrap = String.valueOf(clientConfig.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG));
        Map<String, Object> config = new HashMap<>();
        clientConfig.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        int timeoutMs = (int) PROBE_TIMEOUT.toMillis();
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        config.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, service.replace(' ', '-') + "-reachability");
        this.adminConfig = config;
        this.registry = registry;
        this.thread = new Thread(this::run, service.replace(' ', '-') + "-reachability");
        thread.setDaemon(true);
    }

    /** Starts asking in the background; returns at once. */
    public Reachability start() {
        thread.start();
        return this;
    }

    /** What keeps the service from Kafka or the registry, naming the address and the fix; null while both answer. */
    public String problem() {
        return problem;
    }

    /** True once Kafka and the registry have both answered at least once. */
    public boolean reachedOnce() {
        return reached;
    }

    /**
     * Waits until both have answered, or {@code timeout} passes (null: for ever); true when they answered.
     * The problem is logged by the background thread meanwhile.
     */
    public boolean awaitReached(Duration timeout) throws InterruptedException {
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        while (!reached) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || closed.getCount() == 0) {
                return reached;
            }
            synchronized (this) {
                if (!reached) {
                    wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 1_000)));
                }
            }
        }
        return true;
    }

    /** Waits until the first check has an answer, good or bad, or {@code timeout} passes. */
    public void awaitFirstAnswer(Duration timeout) throws InterruptedException {
        firstAnswer.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        long backoffMs = MIN_BACKOFF.toMillis();
        String logged = null;
        Admin admin = null;
        try {
            while (closed.getCount() > 0) {
                String now;
                try {
                    if (admin == null) {
                        admin = Admin.create(adminConfig);
                    }
                    now = kafkaProblem(admin, reached || logged != null ? PROBE_TIMEOUT : FIRST_PROBE_TIMEOUT);
                } catch (KafkaException e) {
                    // Admin.create refuses bootstrap addresses that do not resolve.
                    now = "cannot use bootstrap.servers '" + bootstrap + "': " + e.getMessage() + (e.getCause() == null ? ""
                            : " (" + e.getCause().getMessage() + ")") + ". Check the host names, and that DNS answers here";
                }
                if (now == null && registry != null) {
                    now = registryProblem();
                }
                problem = now;
                if (now == null) {
                    if (!reached || logged != null) {
                        log.info("{} reaches Kafka at {}{}", service, bootstrap, registry == null ? "" : " and " + registry.describe());
                    }
                    reached = true;
                    logged = null;
                    synchronized (this) {
                        notifyAll();
                    }
                    backoffMs = MIN_BACKOFF.toMillis();
                } else if (!now.equals(logged)) {
                    log.warn("{}: {}; retrying with backoff (up to every {} s)", service, now, MAX_BACKOFF.toSeconds());
                    logged = now;
                }
                firstAnswer.countDown();
                long waitMs = now == null ? HEALTHY_PERIOD.toMillis() : backoffMs;
                if (now != null) {
                    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF.toMillis());
                }
                if (closed.await(waitMs, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (admin != null) {
                admin.close(Duration.ofSeconds(1));
            }
        }
    }

    private String kafkaProblem(Admin admin, Duration timeout) throws InterruptedException {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis())).nodes()
                    .get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return describeKafkaFailure(bootstrap, e.getCause(), timeout);
        } catch (java.util.concurrent.TimeoutException e) {
            return describeKafkaFailure(bootstrap, new TimeoutException("no answer"), timeout);
        }
    }

    /** Why Kafka at {@code bootstrap} did not answer within {@link #PROBE_TIMEOUT}, and what to check. */
    public static String describeKafkaFailure(String bootstrap, Throwable cause) {
        return describeKafkaFailure(bootstrap, cause, PROBE_TIMEOUT);
    }

    /** Why Kafka at {@code bootstrap} did not answer within {@code timeout}, and what to check. */
    public static String describeKafkaFailure(String bootstrap, Throwable cause, Duration timeout) {
        String what = cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        if (cause instanceof TimeoutException) {
            return "cannot reach Kafka at " + bootstrap + " (no answer within " + timeout.toSeconds() + " s; " + what + "): check"
                    + " bootstrap.servers (--bootstrap-servers, ASR_BOOTSTRAP_SERVERS), that the brokers are up, and that their"
                    + " advertised listeners are reachable from here";
        }
        if (cause instanceof AuthenticationException || cause instanceof AuthorizationException) {
            return "Kafka at " + bootstrap + " refused this client (" + what + "): check the security settings (security.protocol,"
                    + " sasl.*, ssl.*) in --config and the client's ACLs";
        }
        return "Kafka at " + bootstrap + " failed (" + what + ")";
    }

    private String registryProblem() {
        try {
            registry.check();
            return null;
        } catch (SchemaRegistryException e) {
            return e.getMessage();
        } catch (RuntimeException e) {
            return "cannot use " + registry.describe() + ": " + e;
        }
    }

    @Override
    public void close() {
        closed.countDown();
        synchronized (this) {
            notifyAll();
        }
        try {
            thread.join(3_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
