package dev.asr.app.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * CPU time of this process's threads, grouped by what they do, between two moments: how a phase's
 * CPU splits between the code measured and the load generator sharing the process. Threads that
 * ended between the two moments are missed; GC and JIT threads are not Java threads, so what the
 * process used beyond the groups is theirs.
 */
final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Map<Long, Long> nanosById = new HashMap<>();
    private final Map<Long, String> names = new HashMap<>();
    private final double processSeconds;

    private ThreadCpu() {
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info != null) {
                long nanos = THREADS.getThreadCpuTime(info.getThreadId());
                if (nanos >= 0) {
                    nanosById.put(info.getThreadId(), nanos);
                    names.put(info.getThreadId(), info.getThreadName());
                }
            }
        }
        processSeconds = ProcessCpu.self();
    }

    static ThreadCpu now() {
        return new ThreadCpu();
    }

    /** CPU seconds since {@code before}, by the group {@code classify} gives each thread's name, plus "other" for the rest of the process. */
    Map<String, Double> since(ThreadCpu before, Function<String, String> classify) {
        Map<String, Double> seconds = new HashMap<>();
        double threads = 0;
        for (Map.Entry<Long, Long> entry : nanosById.entrySet()) {
            double used = (entry.getValue() - before.nanosById.getOrDefault(entry.getKey(), 0L)) / 1e9;
            seconds.merge(classify.apply(names.get(entry.getKey())), used, Double::sum);
            threads += used;
        }
        seconds.put("other", Math.max(0, processSeconds - before.processSeconds - threads));
        return seconds;
    }
}
