package dev.asr.ingest.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.allowances.metrics.AllowanceCollector;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.sdk.AsrClient;
import dev.asr.ingest.sdk.BufferFullException;
import dev.asr.schemas.ops.Health;
import dev.asr.schemas.ops.Reachability;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.protocol.http.HttpContinue;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP gateway for agents that are not on the JVM: {@code POST /v1/spend} and {@code POST
 * /v1/outcomes} take one JSON object, a JSON array or NDJSON, with the Avro field names.
 *
 * <p>Answers: 202 once Kafka acknowledged every accepted record (invalid ones are listed, by index,
 * field and rule); 400 when no record is valid; 401 without a valid bearer token; 403 when a record
 * names a fleet the token may not write (nothing is accepted then); 413 for a body over the limit;
 * 429 when the buffer is full and 503 when Kafka does not acknowledge, both with {@code
 * Retry-After}. Errors are JSON, never a stack trace.
 *
 * <p>A record without {@code event_id} gets one here; send your own to make retries safe (the
 * pipeline counts an id once).
 */
public final class IngestGateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestGateway.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");
    /** The reason of a record Kafka could never take (over {@code max.request.size}): the 413 of one record. */
    public static final String RECORD_TOO_LARGE = "record-too-large";

    private final GatewaySettings settings;
    private final Supplier<Tokens> tokens;
    private final AsrClient client;
    private final RecordParser parser;
    private final Admission admission;
    private final Undertow server;
    private final GracefulShutdownHandler shutdown = Handlers.gracefulShutdown(Handlers.httpContinueRead(this::handle));
    private final byte[] openApi;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder rejected = new LongAdder();
    private final Reachability reach;
    private final GatewayMetrics metrics;
    private final AuthorizeEndpoint authorizations;
    private final ReadEndpoint reads;
    private final OtlpEndpoint traces;

    private IngestGateway(GatewaySettings settings, Supplier<Tokens> tokens, Clock clock, AllowanceService allowances) {
        this.settings = settings;
        this.authorizations = new AuthorizeEndpoint(allowances, settings.retryAfter());
        this.reads = new ReadEndpoint(allowances, settings.stateUrl(), settings.retryAfter());
        this.tokens = tokens;
        this.client = AsrClient.create(settings.client());
        this.reach = new Reachability("asr ingest", settings.client().kafka(), client.registry()).start();
        this.parser = new RecordParser(settings.events(), clock, settings.client().capacity());
        this.admission = new Admission(settings.maxRequestsPerToken(), settings.maxRequests());
        this.metrics = new GatewayMetrics(admission::underWay, client::inFlight, settings.client().capacity(), () -> reach.problem() == null);
        this.traces = new OtlpEndpoint(settings.otlp(), settings.events(), client, metrics, this::deliver, clock, settings.maxBodyBytes(),
                settings.retryAfter()).start();
        if (allowances != null) {
            metrics.register(new AllowanceCollector(allowances, settings.events().moneyUnit(), allowances.settings().metricsMaxAgents()));
        }
        this.openApi = resource("/openapi.json");
        this.server = Undertow.builder()
                .addHttpListener(settings.port(), settings.host())
                .setWorkerThreads(settings.threads())
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, drainLimit())
                .setServerOption(UndertowOptions.IDLE_TIMEOUT, 60_000)
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, true)
                .setHandler(shutdown)
                .build();
        try {
            server.start();
        } catch (RuntimeException e) {
            traces.close();
            reach.close();
            client.close();
            if (tokens instanceof TokensFile file) {
                file.close();
            }
            throw new IllegalStateException("the ingest gateway cannot listen on " + settings.host() + ":" + settings.port() + " ("
                    + rootMessage(e) + "): free the port or choose another (asr.ingest.port; --port of asr ingest, --ingest-port of asr demo), or fix"
                    + " asr.ingest.host", e);
        }
        log.info("ASR ingest gateway listening on {}:{}", settings.host(), port());
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    /** Starts with the tokens of {@code asr.ingest.tokens-file}. */
    public static IngestGateway start(GatewaySettings settings) {
        return start(settings, (AllowanceService) null);
    }

    /**
     * Starts with the tokens of {@code asr.ingest.tokens-file}, deciding {@code POST /v1/authorize}
     * with {@code allowances} (null: that endpoint answers 404, allowances are not run here).
     */
    public static IngestGateway start(GatewaySettings settings, AllowanceService allowances) {
        if (settings.tokensFile() == null) {
            throw new IllegalArgumentException("asr.ingest.tokens-file is not set: give a file of '<sha256 hex> <fleets>' lines"
                    + " (asr ingest --new-token <fleets> makes one)");
        }
        return new IngestGateway(settings, new TokensFile(settings.tokensFile()), Clock.systemUTC(), allowances);
    }

    /** For tests and the demo: tokens given, not read from a file. */
    public static IngestGateway start(GatewaySettings settings, Tokens tokens) {
        return start(settings, tokens, null);
    }

    /** For tests and the demo: tokens given, and the allowance service that decides {@code POST /v1/authorize} (null: none). */
    public static IngestGateway start(GatewaySettings settings, Tokens tokens, AllowanceService allowances) {
        return new IngestGateway(settings, () -> tokens, Clock.systemUTC(), allowances);
    }

    public int port() {
        return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    public String url() {
        return "http://localhost:" + port();
    }

    /** Records acknowledged by Kafka and answered 202; records refused as invalid. */
    public long accepted() {
        return accepted.sum();
    }

    public long rejected() {
        return rejected.sum();
    }

    /** Records handed to Kafka and not yet acknowledged or failed; at the buffer's capacity, requests get 429. */
    public int inFlight() {
        return client.inFlight();
    }

    /**
     * Runs on an I/O thread and never blocks it: health and the OpenAPI document are answered here;
     * a posting is checked (method, token, content type, declared size, the {@link Admission} caps),
     * its body read as it arrives ({@link BodyReader}), and only then handed to a worker thread,
     * which parses it and waits for Kafka. A slow client holds its admission, never a thread.
     */
    private void handle(HttpServerExchange exchange) {
        try {
            String path = exchange.getRequestPath();
            exchange.addExchangeCompleteListener((done, next) -> {
                metrics.answered(path, done.getStatusCode());
                next.proceed();
            });
            boolean spend = path.equals("/v1/spend");
            if (spend || path.equals("/v1/outcomes")) {
                post(exchange, (onWorker, grant, body) -> ingestOnWorker(onWorker, spend, grant, body), true);
                return;
            }
            if (path.equals(OtlpEndpoint.PATH)) {
                post(exchange, (onWorker, grant, body) -> onWorker(onWorker, () -> traces.answer(onWorker, grant, body)), true);
                return;
            }
            if (path.equals("/v1/authorize")) {
                // Decided on the I/O thread and answered when Kafka acknowledged the decision: no thread waits for it.
                post(exchange, (sameExchange, grant, body) -> authorizations.answer(sameExchange, grant, body, false), false);
                return;
            }
            if (path.equals("/v1/authorize/release")) {
                post(exchange, (onWorker, grant, body) -> onWorker(onWorker, () -> authorizations.answer(onWorker, grant, body, true)), true);
                return;
            }
            if (ReadEndpoint.handles(path)) {
                Tokens.Grant grant = admitted(exchange, Methods.GET);
                if (grant != null) {
                    reads.answer(exchange, grant);
                }
                return;
            }
            if (path.equals("/openapi.json") && exchange.getRequestMethod().equals(Methods.GET)) {
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                exchange.getResponseSender().send(ByteBuffer.wrap(openApi));
                return;
            }
            if (path.equals("/healthz")) {
                reply(exchange, 200, Health.alive().put("in_flight", client.inFlight()).put("capacity", settings.client().capacity())
                        .put("requests", admission.underWay()).put("accepted", accepted()).put("rejected", rejected()));
                return;
            }
            if (path.equals("/readyz")) {
                String reason = reach.problem();
                reply(exchange, Health.readinessStatus(reason), Health.readiness(reason));
                return;
            }
            if (path.equals("/metrics")) {
                exchange.dispatch((HttpHandler) onWorker -> {
                    GatewayMetrics.Rendered rendered = metrics.render(onWorker.getRequestHeaders().getFirst(Headers.ACCEPT));
                    onWorker.getResponseHeaders().put(Headers.CONTENT_TYPE, rendered.contentType());
                    onWorker.getResponseSender().send(ByteBuffer.wrap(rendered.body()));
                });
                return;
            }
            reply(exchange, 404, error("no such endpoint: POST /v1/spend, POST /v1/outcomes, POST /v1/authorize, POST"
                    + " /v1/authorize/release, POST /v1/traces (OTLP), GET /v1/agents/{fleet}/{agent_id}, GET /v1/fleets/{fleet}, GET /openapi.json, /healthz,"
                    + " /readyz, /metrics"));
        } catch (RuntimeException e) {
            fail(exchange, e);
        }
    }

    /** What a posting's body goes to, on a worker thread, once it has arrived whole. */
    @FunctionalInterface
    interface BodyHandler {
        void handle(HttpServerExchange exchange, Tokens.Grant grant, byte[] body);
    }

    /** The request's grant when it uses {@code method} and carries a valid token; otherwise answered 405 or 401, and null. */
    private Tokens.Grant admitted(HttpServerExchange exchange, HttpString method) {
        if (!exchange.getRequestMethod().equals(method)) {
            exchange.getResponseHeaders().put(Headers.ALLOW, method.toString());
            reply(exchange, 405, error(exchange.getRequestPath() + " takes " + method));
            return null;
        }
        Tokens.Grant grant = authenticate(exchange);
        if (grant == null) {
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer realm=\"asr\"");
            reply(exchange, 401, error("send 'Authorization: Bearer <token>' with a token of the gateway's tokens file"));
        }
        return grant;
    }

    /** A POST's checks, then its body, handed to {@code onBody} on a worker thread, or (not {@code onWorker}) on the I/O thread: it must not block. */
    private void post(HttpServerExchange exchange, BodyHandler onBody, boolean onWorker) {
        Tokens.Grant grant = admitted(exchange, Methods.POST);
        if (grant == null) {
            return;
        }
        String type = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
        // Refusals before the body is read leave the connection persistent: Undertow then reads and
        // drops the body (up to the entity limit), so a client still sending hears the answer instead of a reset.
        if (!acceptedType(type) && !(exchange.getRequestPath().equals(OtlpEndpoint.PATH) && OtlpEndpoint.protobuf(type))) {
            reply(exchange, 415, error("Content-Type is '" + type + "'; send application/json (an object or an array) or"
                    + " application/x-ndjson (one object per line), e.g. curl -H 'Content-Type: application/x-ndjson'"));
            return;
        }
        long declared = exchange.getRequestContentLength();
        if (declared > settings.maxBodyBytes() && (declared > drainLimit() || HttpContinue.requiresContinueResponse(exchange))) {
            // Not read: answered at once and the connection closed. A smaller oversized body is read
            // and dropped (BodyReader), so a client that sends before it listens still hears the 413.
            exchange.setPersistent(false);
            reply(exchange, 413, tooLarge());
            return;
        }
        Admission.Decision decision = admission.enter(grant);
        if (decision instanceof Admission.Refused refused) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(settings.retryAfter().toSeconds()));
            reply(exchange, 429, error(refused.cap() + " requests are under way already ("
                    + (refused.setting().endsWith("per-token") ? "of this token, " : "") + refused.setting() + "): wait for their"
                    + " answers, or retry later"));
            return;
        }
        Admission.Admitted admitted = (Admission.Admitted) decision;
        exchange.addExchangeCompleteListener((done, next) -> {
            admitted.release();
            next.proceed();
        });
        new BodyReader(exchange, settings.maxBodyBytes(), drainLimit(), settings.bodyTimeout().toMillis(), body -> {
            if (body == null) {
                reply(exchange, 413, tooLarge());
            } else if (!onWorker) {
                exchange.dispatch(SameThreadExecutor.INSTANCE, () -> {
                    try {
                        onBody.handle(exchange, grant, body);
                    } catch (Exception e) {
                        fail(exchange, e);
                    }
                });
            } else {
                // As a handler, not a bare task: Undertow then answers 500 and ends the exchange on any Throwable.
                exchange.dispatch((HttpHandler) worker -> onBody.handle(worker, grant, body));
            }
        }).start();
    }

    /** No Content-Type (a bare client), JSON or NDJSON; a form or anything else was not meant for this endpoint. */
    static boolean acceptedType(String header) {
        if (header == null) {
            return true;
        }
        String type = header.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return type.equals("application/json") || type.equals("application/x-ndjson") || type.equals("application/ndjson")
                || type.equals("application/jsonl") || type.equals("application/json-seq") || type.endsWith("+json");
    }

    private ObjectNode tooLarge() {
        return error("the body is larger than " + settings.maxBodyBytes() + " bytes (asr.ingest.max-body): split it");
    }

    private void ingestOnWorker(HttpServerExchange exchange, boolean spend, Tokens.Grant grant, byte[] body) {
        onWorker(exchange, () -> ingest(exchange, spend, grant, body));
    }

    private void onWorker(HttpServerExchange exchange, Runnable work) {
        try {
            work.run();
        } catch (RuntimeException e) {
            fail(exchange, e);
        }
    }

    /** How much of an oversized body of unknown length is read to answer 413 cleanly; past this the connection is closed. */
    private long drainLimit() {
        return Math.max(4L * settings.maxBodyBytes(), settings.maxBodyBytes() + (1L << 20));
    }

    private Tokens.Grant authenticate(HttpServerExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return tokens.get().find(header.substring(7).trim());
    }

    private void ingest(HttpServerExchange exchange, boolean spend, Tokens.Grant grant, byte[] body) {
        RecordParser.Parsed parsed = spend ? parser.spend(body) : parser.outcomes(body);
        if (parsed.tooMany()) {
            reply(exchange, 413, error("this request holds more than " + settings.client().capacity() + " records, more than the gateway"
                    + " buffers at once (asr.client.capacity): split it"));
            return;
        }
        Set<String> forbidden = new TreeSet<>();
        for (SpecificRecord record : parsed.records()) {
            String fleet = record instanceof SpendEvent s ? s.getFleet() : ((OutcomeEvent) record).getFleet();
            if (!grant.mayWrite(fleet)) {
                forbidden.add(fleet);
            }
        }
        if (!forbidden.isEmpty()) {
            reply(exchange, 403, error("this token may not write fleet(s) " + String.join(", ", forbidden)
                    + "; nothing in this request was accepted. Use a token granted those fleets"));
            return;
        }
        List<AsrClient.Encoded> records = new ArrayList<>(parsed.records().size());
        List<RecordParser.Problem> problems = new ArrayList<>(parsed.problems());
        int rejectedHere = parsed.rejected();
        int tooLarge = 0;
        for (int i = 0; i < parsed.records().size(); i++) {
            AsrClient.Encoded encoded = client.encode(parsed.records().get(i));
            if (encoded.size() > client.largestRecord()) {
                rejectedHere++;
                tooLarge++;
                problems.add(new RecordParser.Problem(parsed.indexes().get(i), null, RECORD_TOO_LARGE, "the record is " + encoded.size()
                        + " bytes encoded; Kafka takes at most " + client.largestRecord() + " (max.request.size): make it smaller, e.g."
                        + " fewer or shorter attributes"));
            } else {
                records.add(encoded);
            }
        }
        problems.sort(Comparator.comparingInt(RecordParser.Problem::index));
        String path = exchange.getRequestPath();
        Map<String, Integer> byReason = parsed.rejectedByReason();
        if (tooLarge > 0) {
            byReason = new HashMap<>(byReason);
            byReason.merge(RECORD_TOO_LARGE, tooLarge, Integer::sum);
        }
        if (records.isEmpty()) {
            rejected.add(rejectedHere);
            metrics.rejected(path, byReason);
            reply(exchange, 400, report(0, rejectedHere, problems));
            return;
        }
        if (!deliver(exchange, records)) {
            return;
        }
        accepted.add(records.size());
        rejected.add(rejectedHere);
        metrics.accepted(path, records.size());
        metrics.rejected(path, byReason);
        reply(exchange, 202, report(records.size(), rejectedHere, problems));
    }

    /** Sends the records and waits for Kafka's acknowledgement; when it does not come, answers 429 or 503 and returns false. */
    private boolean deliver(HttpServerExchange exchange, List<AsrClient.Encoded> records) {
        try {
            client.sendEncoded(records).get(deliveryTimeoutMillis() + 5_000, TimeUnit.MILLISECONDS);
            return true;
        } catch (BufferFullException e) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(settings.retryAfter().toSeconds()));
            reply(exchange, 429, error(e.getMessage()));
        } catch (ExecutionException e) {
            unavailable(exchange, e.getCause());
        } catch (KafkaException | IllegalStateException | TimeoutException e) {
            // IllegalStateException: the client closed, the gateway is stopping.
            unavailable(exchange, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable(exchange, e);
        }
        return false;
    }

    private void unavailable(HttpServerExchange exchange, Throwable failure) {
        exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(settings.retryAfter().toSeconds()));
        reply(exchange, 503, error("Kafka did not acknowledge the records (" + failure.getClass().getSimpleName() + ": "
                + failure.getMessage() + "). Nothing is lost on our side: retry the request; records with the same event_id count once"));
    }

    /** The answer to a posting: counts, and the first {@value RecordParser#REPORTED_PROBLEMS} problems by index. */
    private static ObjectNode report(int accepted, int rejected, List<RecordParser.Problem> problems) {
        ObjectNode answer = JSON.createObjectNode().put("accepted", accepted).put("rejected", rejected);
        ArrayNode errors = answer.putArray("errors");
        for (RecordParser.Problem problem : problems.subList(0, Math.min(problems.size(), RecordParser.REPORTED_PROBLEMS))) {
            ObjectNode item = errors.addObject().put("index", problem.index());
            if (problem.field() != null) {
                item.put("field", problem.field());
            }
            item.put("reason", problem.reason());
            item.put("error", problem.error());
        }
        return answer;
    }

    static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private void fail(HttpServerExchange exchange, Exception e) {
        log.warn("Unexpected error answering {} {}: {}", exchange.getRequestMethod(), exchange.getRequestPath(), e.toString());
        reply(exchange, 500, error("internal error: " + e.getClass().getSimpleName() + "; the request was not accepted, retry it"));
    }

    static void reply(HttpServerExchange exchange, int status, ObjectNode body) {
        if (exchange.isResponseStarted()) {
            return;
        }
        if (status >= 400 && OtlpEndpoint.PATH.equals(exchange.getRequestPath())) {
            OtlpEndpoint.error(exchange, status, body.path("error").asText(body.toString()));
            return;
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(body.toString() + "\n", StandardCharsets.UTF_8);
    }

    private long deliveryTimeoutMillis() {
        Object configured = settings.client().kafka().get("delivery.timeout.ms");
        return configured == null ? 120_000 : Long.parseLong(configured.toString().trim());
    }

    private static byte[] resource(String name) {
        try (InputStream in = IngestGateway.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stops taking requests, lets those under way get their answer (up to the delivery timeout), then stops. */
    @Override
    public void close() {
        shutdown.shutdown();
        try {
            shutdown.awaitShutdown(deliveryTimeoutMillis() + 5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop();
        traces.close();
        reach.close();
        client.close();
        if (tokens instanceof TokensFile file) {
            file.close();
        }
    }
}
