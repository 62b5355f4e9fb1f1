package dev.asr.app;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of its own for one process of a fault test, joined to this machine by a
 * veth pair: this side {@code 10.231.N.1}, the namespace's side {@code 10.231.N.2}. {@link #cut()}
 * takes the namespace's end down, so its packets are dropped both ways (no reset: to the process
 * and its peers the network has gone silent, as in a partition); {@link #heal()} brings it back.
 * Needs root and iproute2 ({@code ip netns}); {@link #create} says so when either is missing.
 */
final class NetworkNamespace implements AutoCloseable {

    private final String name;
    private final String hostEnd;
    private final String namespaceEnd;
    private final int subnet;

    private NetworkNamespace(String name, int subnet) {
        this.name = name;
        this.subnet = subnet;
        this.hostEnd = name + "h";
        this.namespaceEnd = name + "n";
    }

    /** Namespace {@code asrN<pid-suffix>} with subnet {@code 10.231.N.0/30} ({@code N} 1–250). */
    static NetworkNamespace create(int subnet) throws IOException, InterruptedException {
        // Interface names are at most 15 characters: a short name, unique per test JVM.
        String name = "asr" + subnet + "p" + (ProcessHandle.current().pid() % 100_000);
        NetworkNamespace ns = new NetworkNamespace(name, subnet);
        try {
            ns.ip("netns", "add", name);
            ns.ip("link", "add", ns.hostEnd, "type", "veth", "peer", "name", ns.namespaceEnd);
            ns.ip("link", "set", ns.namespaceEnd, "netns", name);
            ns.ip("addr", "add", ns.hostAddress() + "/30", "dev", ns.hostEnd);
            ns.ip("link", "set", ns.hostEnd, "up");
            ns.inside("addr", "add", ns.address() + "/30", "dev", ns.namespaceEnd);
            ns.inside("link", "set", ns.namespaceEnd, "up");
            ns.inside("link", "set", "lo", "up");
            return ns;
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw new IOException("cannot set up a network namespace to cut a broker off (run the fault suite as root on Linux"
                    + " with iproute2: apt-get install -y iproute2): " + e.getMessage(), e);
        }
    }

    /** The namespace's address: what a process inside binds. */
    String address() {
        return "10.231." + subnet + ".2";
    }

    /** This machine's end: reachable from inside the namespace, and from here. */
    String hostAddress() {
        return "10.231." + subnet + ".1";
    }

    /** What a command line starts with to run inside the namespace. */
    List<String> launcher() {
        return List.of("ip", "netns", "exec", name);
    }

    /** Cuts the namespace off: its packets are dropped both ways until {@link #heal()}. */
    void cut() throws IOException, InterruptedException {
        inside("link", "set", namespaceEnd, "down");
    }

    void heal() throws IOException, InterruptedException {
        inside("link", "set", namespaceEnd, "up");
    }

    /** Removes the pair and the namespace (a process still inside keeps running, cut off). */
    @Override
    public void close() {
        try {
            run(List.of("ip", "link", "del", hostEnd), true);
            run(List.of("ip", "netns", "del", name), true);
        } catch (IOException | InterruptedException e) {
            // Best effort: a namespace left behind is named after this JVM and harms nothing.
        }
    }

    private void inside(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name, "ip"));
        command.addAll(List.of(args));
        run(command, false);
    }

    private void ip(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        run(command, false);
    }

    private static void run(List<String> command, boolean mayFail) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 10 s");
        }
        if (process.exitValue() != 0 && !mayFail) {
            throw new IOException(String.join(" ", command) + " failed (" + process.exitValue() + "): " + output.trim());
        }
    }
}
