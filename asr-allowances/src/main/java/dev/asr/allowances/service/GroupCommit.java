package dev.asr.allowances.service;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;

/**
 * Writes records to Kafka in bursts, one burst acknowledged at a time: the records that arrive
 * while a burst is on its way go together in the next. Under load a burst is as large as the
 * requests that waited, so Kafka sees a few large produce requests instead of one per decision
 * (the broker's and the producer's cost is per request); with one request at a time, a burst is
 * that one record and it costs one round trip, as a plain send would. Each caller gets a future of
 * its own record's acknowledgement.
 */
final class GroupCommit implements AutoCloseable {

    private static final class Pending {
        final ProducerRecord<String, byte[]> record;
        final CompletableFuture<Void> acknowledged = new CompletableFuture<>();
        /** Set by the producer's callback; read after {@code flush()}, which happens after every callback of the burst. */
        volatile Exception failure;

        Pending(ProducerRecord<String, byte[]> record) {
            this.record = record;
        }
    }

    private final KafkaProducer<String, byte[]> producer;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;

    GroupCommit(KafkaProducer<String, byte[]> producer, String name) {
        this.producer = producer;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Completes when Kafka acknowledged {@code record}, or failed to. Completed on this writer's
     * thread once its whole burst is settled, never on the producer's I/O thread: what depends on
     * it may send to Kafka (a send that has to wait for metadata, from the thread that would fetch
     * it, would wait out {@code max.block.ms}).
     */
    CompletableFuture<Void> writeAsync(ProducerRecord<String, byte[]> record) {
        if (!running) {
            return CompletableFuture.failedFuture(new IllegalStateException("closed"));
        }
        Pending pending = new Pending(record);
        queue.add(pending);
        return pending.acknowledged;
    }

    private void run() {
        List<Pending> burst = new ArrayList<>();
        while (running || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                burst.add(first);
                queue.drainTo(burst);
                for (Pending pending : burst) {
                    try {
                        producer.send(pending.record, (metadata, error) -> pending.failure = error);
                    } catch (RuntimeException e) {
                        pending.failure = e;
                    }
                }
                producer.flush();
                for (Pending pending : burst) {
                    if (pending.failure == null) {
                        pending.acknowledged.complete(null);
                    } else {
                        pending.acknowledged.completeExceptionally(pending.failure);
                    }
                }
            } catch (InterruptedException | InterruptException e) {
                break;
            } finally {
                for (Pending pending : burst) {
                    pending.acknowledged.completeExceptionally(new IllegalStateException("the decision writer stopped"));
                }
                burst.clear();
            }
        }
        for (Pending left = queue.poll(); left != null; left = queue.poll()) {
            left.acknowledged.completeExceptionally(new IllegalStateException("the service is closing"));
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
