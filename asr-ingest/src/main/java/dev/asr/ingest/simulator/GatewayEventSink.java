package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Sends simulated events through the HTTP gateway, as an agent in another language would: NDJSON
 * batches of up to {@link #BATCH} records, or whatever 200 ms gathered, with a bearer token.
 * Retries a batch answered 429 or 503 after the Retry-After it was given.
 */
public final class GatewayEventSink implements EventSink {

    static final int BATCH = 500;
    private static final long MAX_AGE_NANOS = Duration.ofMillis(200).toNanos();
    private static final int ATTEMPTS = 5;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String token;
    private final List<SpendEvent> spend = new ArrayList<>();
    private final List<OutcomeEvent> outcomes = new ArrayList<>();
    private long oldest = System.nanoTime();
    private final LongAdder spendDelivered = new LongAdder();
    private final LongAdder outcomesDelivered = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<String> lastError = new AtomicReference<>();

    public GatewayEventSink(String baseUrl, String token) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.token = token;
    }

    @Override
    public synchronized void spend(SpendEvent event) {
        spend.add(event);
        maybePost();
    }

    @Override
    public synchronized void outcome(OutcomeEvent event) {
        outcomes.add(event);
        maybePost();
    }

    private void maybePost() {
        if (spend.size() + outcomes.size() >= BATCH || System.nanoTime() - oldest > MAX_AGE_NANOS) {
            flush();
        }
    }

    /** Spend first: the gateway writes each request before answering, so a task's spend lands before its outcome. */
    @Override
    public synchronized void flush() {
        if (!spend.isEmpty()) {
            post("/v1/spend", JsonLines.spend(spend), spend.size(), spendDelivered);
            spend.clear();
        }
        if (!outcomes.isEmpty()) {
            post("/v1/outcomes", JsonLines.outcomes(outcomes), outcomes.size(), outcomesDelivered);
            outcomes.clear();
        }
        oldest = System.nanoTime();
    }

    private void post(String path, String body, int records, LongAdder delivered) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 202) {
                    delivered.add(records);
                    return;
                }
                lastError.set("HTTP " + response.statusCode() + ": " + response.body().strip());
                if (response.statusCode() != 429 && response.statusCode() != 503) {
                    break;
                }
                long wait = response.headers().firstValueAsLong("Retry-After").orElse(1);
                Thread.sleep(Math.min(wait, 10) * 1000);
            } catch (IOException e) {
                lastError.set(e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        failed.add(records);
    }

    @Override
    public long spendDelivered() {
        return spendDelivered.sum();
    }

    @Override
    public long outcomesDelivered() {
        return outcomesDelivered.sum();
    }

    @Override
    public long failed() {
        return failed.sum();
    }

    @Override
    public String lastError() {
        return lastError.get();
    }

    @Override
    public void close() {
        flush();
    }
}
