package dev.asr.allowances.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InterruptException;

/**
 * Writes records to Kafka in bursts, one burst acknowledged at a time: the records that arrive
 * while a burst is on its way go together in the next. Under load a burst is as large as the
 * requests that waited, so Kafka sees a few large produce requests instead of one per decision
 * (the broker's and the producer's cost is per request); with one request at a time, a burst is
 * that one record and it costs one round trip, as a plain send would. Callers wait for their own
 * record's acknowledgement.
 */
final class GroupCommit implements AutoCloseable {

    private record Pending(ProducerRecord<String, byte[]> record, CompletableFuture<Void> acknowledged) {}

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

    /** Returns once Kafka acknowledged {@code record} (acks as the producer says). */
    void write(ProducerRecord<String, byte[]> record, Duration timeout) throws ExecutionException, TimeoutException, InterruptedException {
        if (!running) {
            throw new ExecutionException(new IllegalStateException("closed"));
        }
        Pending pending = new Pending(record, new CompletableFuture<>());
        queue.add(pending);
        pending.acknowledged().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
                        producer.send(pending.record(), (metadata, error) -> {
                            if (error == null) {
                                pending.acknowledged().complete(null);
                            } else {
                                pending.acknowledged().completeExceptionally(error);
                            }
                        });
                    } catch (RuntimeException e) {
                        pending.acknowledged().completeExceptionally(e);
                    }
                }
                producer.flush();
            } catch (InterruptedException | InterruptException e) {
                break;
            } finally {
                burst.clear();
            }
        }
        for (Pending left = queue.poll(); left != null; left = queue.poll()) {
            left.acknowledged().completeExceptionally(new IllegalStateException("the service is closing"));
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
