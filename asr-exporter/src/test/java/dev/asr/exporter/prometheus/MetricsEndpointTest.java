package dev.asr.exporter.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Render once, serve many: what is rendered when, and slow clients beside scrapes. */
class MetricsEndpointTest {

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicLong version = new AtomicLong();
    private final AtomicLong collected = new AtomicLong();

    /** {@code series} data points whose value is the data version they were collected at. */
    private PrometheusRegistry data(int series) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register((MultiCollector) () -> {
            collected.incrementAndGet();
            GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name("asr_test").help("test");
            for (int i = 0; i < series; i++) {
                gauge.dataPoint(GaugeDataPointSnapshot.builder().value(version.get()).labels(Labels.of("agent", "agent-" + i)).build());
            }
            return MetricSnapshots.of(gauge.build());
        });
        return registry;
    }

    private static PrometheusRegistry own() {
        PrometheusRegistry registry = new PrometheusRegistry();
        AtomicLong scrapes = new AtomicLong();
        registry.register((MultiCollector) () -> MetricSnapshots.of(GaugeSnapshot.builder().name("asr_exporter_test_scrapes").help("t")
                .dataPoint(GaugeDataPointSnapshot.builder().value(scrapes.incrementAndGet()).build()).build()));
        return registry;
    }

    private String scrape(MetricsEndpoint endpoint) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    @Test
    void theDataIsRenderedOncePerChangeOffTheScrapePathAndTheOwnSeriesAtEveryScrape() throws Exception {
        try (MetricsEndpoint endpoint = new MetricsEndpoint("127.0.0.1", 0, 4, data(3), version::get, own(), () -> true, () -> "")) {
            String first = scrape(endpoint);
            for (int i = 0; i < 20; i++) {
                scrape(endpoint);
            }
            assertThat(collected.get()).as("unchanged data: rendered once for 21 scrapes").isEqualTo(1);
            assertThat(endpoint.renders()).isEqualTo(1);
            assertThat(first).contains("asr_test{agent=\"agent-0\"} 0.0\n").contains("asr_exporter_test_scrapes 1.0\n");
            assertThat(scrape(endpoint)).as("the exporter's own series are fresh").contains("asr_exporter_test_scrapes 22.0\n");

            version.incrementAndGet();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!scrape(endpoint).contains("asr_test{agent=\"agent-0\"} 1.0\n")) {
                assertThat(System.nanoTime()).as("the change shows within a few seconds").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(collected.get()).as("rendered once for the change, in the background, whatever the scrapes").isEqualTo(2);
            Thread.sleep(2_500);
            scrape(endpoint);
            assertThat(collected.get()).as("no change, no render").isEqualTo(2);
        }
    }

    @Test
    void formatsAndGzipAreRenderedApartAndTheBodyStaysOneValidExposition() throws Exception {
        try (MetricsEndpoint endpoint = new MetricsEndpoint("127.0.0.1", 0, 4, data(3), version::get, own(), () -> true, () -> "")) {
            String openMetrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0").build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(openMetrics).endsWith("# EOF\n");
            assertThat(openMetrics.indexOf("# EOF")).as("one end line, at the end").isEqualTo(openMetrics.length() - 6);
            assertThat(openMetrics).contains("asr_test{agent=\"agent-2\"} 0.0\n", "asr_exporter_test_scrapes 1.0\n");
            assertThat(scrape(endpoint)).doesNotContain("# EOF");
            assertThat(endpoint.renders()).isEqualTo(2);
        }
    }

    @Test
    void twoClientsThatNeverReadTheirAnswerDoNotHoldUpScrapes() throws Exception {
        List<Socket> slow = new ArrayList<>();
        // 200,000 series: a body of megabytes, more than the socket buffers of a client that does not read.
        try (MetricsEndpoint endpoint = new MetricsEndpoint("127.0.0.1", 0, 8, data(200_000), version::get, own(), () -> true, () -> "")) {
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket("127.0.0.1", endpoint.port());
                socket.setReceiveBufferSize(4096);
                OutputStream out = socket.getOutputStream();
                out.write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(socket);
            }
            Thread.sleep(1_000);
            for (int i = 0; i < 5; i++) {
                long started = System.nanoTime();
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/healthz"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(scrape(endpoint)).contains("asr_test{agent=\"agent-199999\"}");
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            }
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }
}
