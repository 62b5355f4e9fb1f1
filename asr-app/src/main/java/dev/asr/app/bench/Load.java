package dev.asr.app.bench;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * What the HTTP benchmarks share: named load threads, percentiles, records counted in a topic, and
 * the closed-loop and fixed-rate drivers of the JDK HTTP client.
 */
final class Load {

    /** Threads of a load generator are named so (the HTTP client's selector is "HttpClient-..."). */
    static final String PREFIX = "bench-load-";

    private Load() {}

    /** "load" for the load generator's threads, else "gateway". */
    static String role(String thread) {
        return thread.startsWith(PREFIX) || thread.startsWith("HttpClient") ? "load" : "gateway";
    }

    /** Daemon threads named {@link #PREFIX} + {@code name} + a number. */
    static ThreadFactory named(String name) {
        AtomicLong next = new AtomicLong();
        return runnable -> {
            Thread thread = new Thread(runnable, PREFIX + name + next.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The {@code q} quantile of {@code sorted} nanoseconds, in milliseconds. */
    static double percentile(long[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * q) - 1)] / 1e6;
    }

    /** Records in {@code topic} (the sum of its partitions' end offsets). */
    static long recordsIn(String bootstrap, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
            partitions.forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(info -> info.offset()).sum();
        }
    }

    /** What a closed-loop run did: requests answered as expected, in how many seconds. */
    record Run(long requests, double seconds) {}

    /**
     * {@code connections} loops, each posting the request {@code request(connection, sequence)} gives
     * as soon as the last was answered, for {@code length}; {@code check} throws on an answer that is
     * not the expected one, which ends the run with it.
     */
    static Run closedLoop(HttpClient http, int connections, Duration length, BiFunction<Integer, Long, HttpRequest> request,
            Consumer<HttpResponse<byte[]>> check) throws Exception {
        AtomicLong requests = new AtomicLong();
        long start = System.nanoTime();
        long end = start + length.toNanos();
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int connection = c;
            loops.add(CompletableFuture.runAsync(() -> {
                long sequence = 0;
                while (System.nanoTime() < end) {
                    HttpResponse<byte[]> response;
                    try {
                        response = http.send(request.apply(connection, sequence++), HttpResponse.BodyHandlers.ofByteArray());
                    } catch (Exception e) {
                        throw new IllegalStateException("request failed: " + e, e);
                    }
                    check.accept(response);
                    requests.incrementAndGet();
                }
            }, Executors.newSingleThreadExecutor(named("loop-" + c + "-"))));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get();
        return new Run(requests.get(), (System.nanoTime() - start) / 1e9);
    }

    /**
     * What a fixed-rate run measured, each request timed from when it was due (so a stall counts
     * against every request it delays), the warm-up left out.
     *
     * @param sortedNanos the measured requests' times, sorted
     * @param answered requests answered as {@code ok} says, warm-up included
     * @param failedWith requests not answered so, by status code or exception
     */
    record Latency(long[] sortedNanos, int warmup, long answered, Map<String, Long> failedWith) {

        double percentile(double q) {
            return Load.percentile(sortedNanos, q);
        }

        double maxMillis() {
            return sortedNanos[sortedNanos.length - 1] / 1e6;
        }

        long failures() {
            return failedWith.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** {@code requestsPerSecond} requests on a fixed schedule for {@code length} (the first fifth, at most 3 s, a warm-up). */
    static Latency fixedRate(HttpClient http, double requestsPerSecond, Duration length, IntFunction<HttpRequest> request,
            Predicate<HttpResponse<byte[]>> ok) throws Exception {
        long intervalNanos = (long) (1e9 / requestsPerSecond);
        int total = (int) Math.max(10, requestsPerSecond * length.toSeconds());
        int warmup = (int) Math.min(total / 5, requestsPerSecond * 3);
        AtomicLongArray nanos = new AtomicLongArray(total);
        AtomicLong answered = new AtomicLong();
        Map<String, Long> failedWith = new ConcurrentSkipListMap<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>(total);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(named("ticker-"));
        long start = System.nanoTime() + 50_000_000L;
        for (int i = 0; i < total; i++) {
            int index = i;
            long due = start + i * intervalNanos;
            CompletableFuture<Void> done = new CompletableFuture<>();
            pending.add(done);
            ticker.schedule(() -> http.sendAsync(request.apply(index), HttpResponse.BodyHandlers.ofByteArray())
                    .whenComplete((response, error) -> {
                        nanos.set(index, System.nanoTime() - due);
                        if (error == null && ok.test(response)) {
                            answered.incrementAndGet();
                        } else {
                            failedWith.merge(error != null ? error.getClass().getSimpleName() : Integer.toString(response.statusCode()), 1L,
                                    Long::sum);
                        }
                        done.complete(null);
                    }), due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(length.toSeconds() + 120, TimeUnit.SECONDS);
        ticker.shutdown();
        long[] measured = new long[total - warmup];
        for (int i = warmup; i < total; i++) {
            measured[i - warmup] = nanos.get(i);
        }
        Arrays.sort(measured);
        return new Latency(measured, warmup, answered.get(), failedWith);
    }

    /**
     * One keep-alive HTTP/1.1 connection on a plain socket, used by one thread: a request written,
     * its answer read (Content-Length bodies only, as the gateway sends). Far lighter than the JDK's
     * HttpClient, so the load generator does not take the CPU the server is measured on.
     */
    static final class Connection implements AutoCloseable {

        /** An answer: its status code and body. */
        record Answer(int status, String body) {}

        private final java.net.Socket socket;
        private final java.io.OutputStream output;
        private final java.io.InputStream input;
        private final String head;

        Connection(java.net.URI base, String path, String token) throws java.io.IOException {
            socket = new java.net.Socket(base.getHost(), base.getPort());
            socket.setTcpNoDelay(true);
            output = new java.io.BufferedOutputStream(socket.getOutputStream(), 8192);
            input = new java.io.BufferedInputStream(socket.getInputStream(), 8192);
            head = "POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort() + "\r\nAuthorization: Bearer " + token
                    + "\r\nContent-Type: application/json\r\nContent-Length: ";
        }

        Answer post(String body) throws java.io.IOException {
            byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            output.write((head + bytes.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            output.write(bytes);
            output.flush();
            String status = line();
            if (status == null || !status.startsWith("HTTP/1.1 ")) {
                throw new java.io.IOException("not an HTTP answer: " + status);
            }
            int length = -1;
            for (String header = line(); header != null && !header.isEmpty(); header = line()) {
                if (header.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(header.substring(15).trim());
                }
            }
            if (length < 0) {
                throw new java.io.IOException("an answer without Content-Length");
            }
            return new Answer(Integer.parseInt(status.substring(9, 12)), new String(input.readNBytes(length),
                    java.nio.charset.StandardCharsets.UTF_8));
        }

        private String line() throws java.io.IOException {
            StringBuilder line = new StringBuilder(64);
            for (int b = input.read(); b != -1; b = input.read()) {
                if (b == '\n') {
                    int end = line.length();
                    return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
                }
                line.append((char) b);
            }
            return line.length() == 0 ? null : line.toString();
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }
}
