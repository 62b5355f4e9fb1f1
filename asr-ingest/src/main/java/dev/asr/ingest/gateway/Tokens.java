package dev.asr.ingest.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens, stored as SHA-256 hashes, each allowed to write some fleets ({@code *}: any).
 *
 * <p>File format, one token per line: {@code <sha256 hex of the token> <fleet>[,<fleet>...]}, with
 * {@code #} comments, on their own lines or after a token's (after a space). A token may appear
 * once. {@code asr ingest --new-token <fleets>} makes a token and prints its line. The tokens
 * themselves are never stored, logged or echoed; a file every user may read is loaded with a
 * warning.
 */
public final class Tokens {

    /** What a token may do. */
    public record Grant(byte[] hash, Set<String> fleets) {
        public boolean mayWrite(String fleet) {
            return fleets.contains("*") || fleets.contains(fleet);
        }
    }

    private final List<Grant> grants;

    private Tokens(List<Grant> grants) {
        this.grants = List.copyOf(grants);
    }

    public static Tokens of(List<Grant> grants) {
        return new Tokens(grants);
    }

    private static final Logger log = LoggerFactory.getLogger(Tokens.class);

    public static Tokens load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("tokens file " + file.toAbsolutePath() + " does not exist: check asr.ingest.tokens-file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokens file " + file + ": " + e.getMessage(), e);
        }
        List<Grant> grants = new ArrayList<>();
        Map<String, Integer> lineOf = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int comment = line.startsWith("#") ? 0 : indexOfComment(line);
            if (comment >= 0) {
                line = line.substring(0, comment).strip();
            }
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2 || !parts[0].matches("[0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected '<sha256 hex> <fleet>[,<fleet>...]'"
                        + " (asr ingest --new-token <fleets> prints one)");
            }
            Integer first = lineOf.putIfAbsent(parts[0].toLowerCase(Locale.ROOT), i + 1);
            if (first != null) {
                throw new IllegalArgumentException(file + " line " + (i + 1) + " repeats the token of line " + first + ": a token may"
                        + " appear once; give it all its fleets on one line, e.g. '<sha256 hex> support,sales'");
            }
            grants.add(new Grant(HexFormat.of().parseHex(parts[0]), Set.of(parts[1].split(","))));
        }
        if (grants.isEmpty()) {
            throw new IllegalArgumentException("tokens file " + file + " grants no token: add '<sha256 hex> <fleets>' lines");
        }
        warnIfEveryoneMayRead(file);
        return new Tokens(grants);
    }

    /** Where a comment starts after a token's line (a '#' after white space), or -1. */
    private static int indexOfComment(String line) {
        for (int i = 1; i < line.length(); i++) {
            if (line.charAt(i) == '#' && Character.isWhitespace(line.charAt(i - 1))) {
                return i;
            }
        }
        return -1;
    }

    private static void warnIfEveryoneMayRead(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("The tokens file {} may be read by every user of this machine ({}): it holds only the tokens' hashes, but who"
                        + " can read them can try guesses offline. chmod 600 it (or 640 with the gateway's group)", file.toAbsolutePath(),
                        PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException | IOException e) {
            // No POSIX permissions here (Windows): nothing to say.
        }
    }

    /** How many tokens are granted. */
    public int size() {
        return grants.size();
    }

    /** The grant of a presented token, or null. Compares hashes in constant time. */
    public Grant find(String token) {
        byte[] hash = hash(token);
        Grant found = null;
        for (Grant grant : grants) {
            if (MessageDigest.isEqual(grant.hash(), hash)) {
                found = grant;
            }
        }
        return found;
    }

    public static byte[] hash(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    /** The tokens-file line granting {@code token} the fleets. */
    public static String line(String token, String fleets) {
        return HexFormat.of().formatHex(hash(token)) + " " + fleets;
    }
}
