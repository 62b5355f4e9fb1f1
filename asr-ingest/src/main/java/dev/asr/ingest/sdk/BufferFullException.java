package dev.asr.ingest.sdk;

/** The client holds as many unacknowledged events as it may: Kafka is slow or unreachable. */
public final class BufferFullException extends RuntimeException {

    public BufferFullException(String message) {
        super(message);
    }
}
