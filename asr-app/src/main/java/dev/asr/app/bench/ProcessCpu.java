package dev.asr.app.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time a process has used, from Linux's /proc: what a benchmark phase cost the machine, process by process. */
final class ProcessCpu {

    /** Clock ticks per second of /proc's counters (USER_HZ: 100 on Linux). */
    private static final double TICKS_PER_SECOND = 100;

    private ProcessCpu() {}

    /** User plus system CPU seconds of process {@code pid}; 0 where /proc cannot say. */
    static double seconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // Fields after the command (which may hold spaces, in parentheses): utime is the 14th field, stime the 15th.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** This process's CPU seconds. */
    static double self() {
        return seconds(ProcessHandle.current().pid());
    }
}
