package dev.asr.allowances.service;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * Writes records to Kafka in bursts, one burst acknowledged at a time: the records that arrive
 * while a burst is on its way go together in the next. Under load a burst is as large as the
 * requests that waited, so Kafka sees a few large produce requests instead of one per decision
 * (the broker's and the producer's cost is per request); with one request at a time, a burst is
 * that one record and it costs one round trip, as a plain send would. Each caller gets a future of
 * its own record's acknowledgement.
 *
 * <p>With a transactional producer (several deciding instances, {@link Ownership}) each burst is
 * one transaction: acknowledged means committed. A producer fenced by another instance that took
 * the partition over fails its burst and every later one: nothing it writes is decided.
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
    private final boolean transactional;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    /** Why a transactional writer stopped for good (fenced: another instance decides now), or null. */
    private volatile RuntimeException fatal;

    GroupCommit(KafkaProducer<String, byte[]> producer, String name) {
        this(producer, name, false);
    }

    /** {@code transactional}: the producer's transactions are initialized; each burst is one. */
    GroupCommit(KafkaProducer<String, byte[]> producer, String name, boolean transactional) {
        this.producer = producer;
        this.transactional = transactional;
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
        if (fatal != null) {
            return CompletableFuture.failedFuture(fatal);
        }
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
                if (fatal != null) {
                    burst.forEach(pending -> pending.failure = fatal);
                } else if (transactional) {
                    inTransaction(burst);
                } else {
                    for (Pending pending : burst) {
                        try {
                            producer.send(pending.record, (metadata, error) -> pending.failure = error);
                        } catch (RuntimeException e) {
                            pending.failure = e;
                        }
                    }
                    producer.flush();
                }
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

    /**
     * Sends the burst as one transaction and commits it; on failure nothing of it is written: an
     * abortable error aborts the transaction, a fatal one (fenced, above all) stops this writer.
     */
    private void inTransaction(List<Pending> burst) {
        try {
            producer.beginTransaction();
            for (Pending pending : burst) {
                producer.send(pending.record);
            }
            producer.commitTransaction();
        } catch (InterruptException e) {
            throw e;
        } catch (ProducerFencedException | InvalidProducerEpochException | OutOfOrderSequenceException | AuthorizationException
                | UnsupportedVersionException | IllegalStateException e) {
            fatal = new IllegalStateException("another instance decides for this partition now (" + e.getMessage() + ")", e);
            burst.forEach(pending -> pending.failure = fatal);
        } catch (KafkaException e) {
            burst.forEach(pending -> pending.failure = e);
            try {
                producer.abortTransaction();
            } catch (KafkaException abortFailed) {
                fatal = new IllegalStateException("a failed transaction could not be aborted (" + abortFailed.getMessage() + ")",
                        abortFailed);
            }
        }
    }

    /** Null while this writer can write; why it cannot any more (a transactional one fenced). */
    RuntimeException fatal() {
        return fatal;
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
