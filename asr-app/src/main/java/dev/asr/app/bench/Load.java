package dev.asr.app.bench;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/** What the HTTP benchmarks share: named load threads, percentiles, records counted in a topic. */
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
