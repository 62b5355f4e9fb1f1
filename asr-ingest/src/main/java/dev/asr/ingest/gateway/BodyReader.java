package dev.asr.ingest.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.io.IoCallback;
import io.undertow.io.Receiver;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;

/**
 * Reads a request's body as it arrives, on the connection's I/O thread, without holding a worker
 * thread: up to {@code limit} bytes are kept (a buffer grown as data comes, so a slow client costs
 * only what it sent); past that the rest is read and dropped up to {@code drainLimit}, so the
 * client hears the 413 instead of a reset. The whole body must arrive within {@code timeoutMs}:
 * else the client gets 408 and the connection is closed. Then {@code done} gets the body, or null
 * when it was over the limit; it runs once, or not at all when the body timed out or broke off.
 */
final class BodyReader implements Receiver.PartialBytesCallback, Receiver.ErrorCallback {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger log = LoggerFactory.getLogger(BodyReader.class);

    private final HttpServerExchange exchange;
    private final int limit;
    private final long drainLimit;
    private final long timeoutMs;
    private final Consumer<byte[]> done;
    private byte[] buffer = new byte[0];
    private int length;
    private long total;
    private boolean finished;
    private XnioExecutor.Key deadline;

    BodyReader(HttpServerExchange exchange, int limit, long drainLimit, long timeoutMs, Consumer<byte[]> done) {
        this.exchange = exchange;
        this.limit = limit;
        this.drainLimit = drainLimit;
        this.timeoutMs = timeoutMs;
        this.done = done;
    }

    void start() {
        deadline = exchange.getIoThread().executeAfter(this::timedOut, timeoutMs, TimeUnit.MILLISECONDS);
        exchange.getRequestReceiver().receivePartialBytes(this, this);
    }

    @Override
    public void handle(HttpServerExchange ignored, byte[] message, boolean last) {
        if (finished) {
            return;
        }
        total += message.length;
        if (total <= limit) {
            if (length + message.length > buffer.length) {
                long declared = exchange.getRequestContentLength();
                int wanted = declared >= 0 && declared <= limit ? (int) declared : Math.max(length + message.length, buffer.length * 2);
                buffer = Arrays.copyOf(buffer, Math.min(limit, Math.max(wanted, length + message.length)));
            }
            System.arraycopy(message, 0, buffer, length, message.length);
            length += message.length;
        } else {
            buffer = null; // over the limit: the rest is only counted
            if (total > drainLimit) {
                finish();
                closeAfter(413, "the body is larger than " + limit + " bytes (asr.ingest.max-body): split it");
                return;
            }
        }
        if (last) {
            finish();
            done.accept(buffer == null ? null : (length == buffer.length ? buffer : Arrays.copyOf(buffer, length)));
        }
    }

    @Override
    public void error(HttpServerExchange ignored, IOException e) {
        if (finished) {
            return;
        }
        finish();
        if (e instanceof RequestTooBigException) {
            closeAfter(413, "the body is larger than " + limit + " bytes (asr.ingest.max-body): split it");
        } else {
            // The client went away or sent a broken stream: there may be no one to answer.
            closeAfter(400, "could not read the request: " + e.getMessage());
        }
    }

    private void timedOut() {
        if (finished) {
            return;
        }
        log.info("A request body timed out after {} ms: {} of {} bytes came from {} (request complete: {})", timeoutMs, total,
                exchange.getRequestContentLength(), exchange.getSourceAddress(), exchange.isRequestComplete());
        finish();
        closeAfter(408, "the body did not arrive within " + timeoutMs + " ms (asr.ingest.body-timeout): " + total
                + " bytes came. Send the whole request at once");
    }

    private void finish() {
        finished = true;
        if (deadline != null) {
            deadline.remove();
        }
    }

    /** Answers and closes the connection once the answer is out: the rest of the body is not read. */
    private void closeAfter(int status, String message) {
        exchange.setPersistent(false);
        if (exchange.isResponseStarted()) {
            IoUtils.safeClose(exchange.getConnection());
            return;
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseHeaders().put(Headers.CONNECTION, "close");
        exchange.getResponseSender().send(JSON.createObjectNode().put("error", message) + "\n", new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange finishedExchange, Sender sender) {
                IoUtils.safeClose(finishedExchange.getConnection());
            }

            @Override
            public void onException(HttpServerExchange failedExchange, Sender sender, IOException exception) {
                IoUtils.safeClose(failedExchange.getConnection());
            }
        });
    }
}
