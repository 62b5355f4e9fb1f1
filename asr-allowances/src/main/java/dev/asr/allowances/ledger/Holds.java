package dev.asr.allowances.ledger;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An agent's open holds as an immutable value that is cheap to change: a persistent treap keyed by
 * authorization id, each node knowing its subtree's total amount and earliest expiry. Adding or
 * removing a hold copies one path (O(log n)), the total held is O(1), and releasing the expired
 * holds visits only the subtrees that hold one. So an agent with thousands of open holds costs a
 * decision what one with three does, and every older value stays valid (the decision rules are
 * pure functions of it). Ids made in order (the gateway's own, {@code decision/AuthorizationIds})
 * land on the tree's right edge, whose copies the next insertion replaces while they are young.
 */
public final class Holds {

    public static final Holds NONE = new Holds(null);

    /** A hold's fields are the node's own (not a {@code Hold} beside it: one object less per open hold to copy and keep). */
    private record Node(String key, long amountMicros, Instant expiresAt, int priority, Node left, Node right, long total, Instant earliest,
            int size) {

        static Node of(String key, long amountMicros, Instant expiresAt, int priority, Node left, Node right) {
            long total = amountMicros + Holds.total(left) + Holds.total(right);
            Instant earliest = expiresAt;
            if (left != null && left.earliest.isBefore(earliest)) {
                earliest = left.earliest;
            }
            if (right != null && right.earliest.isBefore(earliest)) {
                earliest = right.earliest;
            }
            return new Node(key, amountMicros, expiresAt, priority, left, right, total, earliest, 1 + Holds.size(left) + Holds.size(right));
        }

        Node with(Node newLeft, Node newRight) {
            return newLeft == left && newRight == right ? this : of(key, amountMicros, expiresAt, priority, newLeft, newRight);
        }

        Hold hold() {
            return new Hold(key, amountMicros, expiresAt);
        }
    }

    private final Node root;

    private Holds(Node root) {
        this.root = root;
    }

    public static Holds of(Hold... holds) {
        Holds all = NONE;
        for (Hold hold : holds) {
            all = all.with(hold);
        }
        return all;
    }

    /** The sum of the open holds' amounts. */
    public long totalMicros() {
        return total(root);
    }

    public int size() {
        return size(root);
    }

    public boolean isEmpty() {
        return root == null;
    }

    /** The hold of {@code authorizationId}, or null. */
    public Hold get(String authorizationId) {
        Node node = root;
        while (node != null) {
            int order = authorizationId.compareTo(node.key());
            if (order == 0) {
                return node.hold();
            }
            node = order < 0 ? node.left : node.right;
        }
        return null;
    }

    /** With {@code hold} added (replacing a hold of the same id). */
    public Holds with(Hold hold) {
        return new Holds(insert(without(root, hold.authorizationId()), hold, priority(hold.authorizationId())));
    }

    /** Without the hold of {@code authorizationId}; the same value when there is none. */
    public Holds without(String authorizationId) {
        Node next = without(root, authorizationId);
        return next == root ? this : new Holds(next);
    }

    /** Without the holds that expired by {@code now} (a hold expires at its expiry instant); the same value when none did. */
    public Holds withoutExpired(Instant now) {
        Node next = withoutExpired(root, now);
        return next == root ? this : new Holds(next);
    }

    /** The holds by authorization id, in id order (for tests and inspection). */
    public Map<String, Hold> asMap() {
        Map<String, Hold> map = new LinkedHashMap<>();
        inOrder(root, map);
        return map;
    }

    private static void inOrder(Node node, Map<String, Hold> into) {
        if (node != null) {
            inOrder(node.left, into);
            into.put(node.key(), node.hold());
            inOrder(node.right, into);
        }
    }

    private static long total(Node node) {
        return node == null ? 0 : node.total;
    }

    private static int size(Node node) {
        return node == null ? 0 : node.size;
    }

    /** A priority from the id alone, so the same set of holds always has the same shape. */
    private static int priority(String id) {
        int h = id.hashCode() * 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    private static boolean above(int priority, String key, Node node) {
        return priority > node.priority || (priority == node.priority && key.compareTo(node.key()) < 0);
    }

    private static Node insert(Node node, Hold hold, int priority) {
        String key = hold.authorizationId();
        if (node == null) {
            return Node.of(key, hold.amountMicros(), hold.expiresAt(), priority, null, null);
        }
        if (above(priority, key, node)) {
            Node[] parts = split(node, key);
            return Node.of(key, hold.amountMicros(), hold.expiresAt(), priority, parts[0], parts[1]);
        }
        return key.compareTo(node.key()) < 0 ? node.with(insert(node.left, hold, priority), node.right)
                : node.with(node.left, insert(node.right, hold, priority));
    }

    /** The nodes with keys below {@code key} and above it ({@code key} itself is absent). */
    private static Node[] split(Node node, String key) {
        if (node == null) {
            return new Node[2];
        }
        if (key.compareTo(node.key()) < 0) {
            Node[] parts = split(node.left, key);
            return new Node[] {parts[0], node.with(parts[1], node.right)};
        }
        Node[] parts = split(node.right, key);
        return new Node[] {node.with(node.left, parts[0]), parts[1]};
    }

    /** Every key of {@code low} is below every key of {@code high}. */
    private static Node merge(Node low, Node high) {
        if (low == null) {
            return high;
        }
        if (high == null) {
            return low;
        }
        if (above(low.priority, low.key(), high)) {
            return low.with(low.left, merge(low.right, high));
        }
        return high.with(merge(low, high.left), high.right);
    }

    private static Node without(Node node, String key) {
        if (node == null) {
            return null;
        }
        int order = key.compareTo(node.key());
        if (order == 0) {
            return merge(node.left, node.right);
        }
        return order < 0 ? node.with(without(node.left, key), node.right) : node.with(node.left, without(node.right, key));
    }

    private static Node withoutExpired(Node node, Instant now) {
        if (node == null || node.earliest.isAfter(now)) {
            return node;
        }
        Node left = withoutExpired(node.left, now);
        Node right = withoutExpired(node.right, now);
        return node.expiresAt.isAfter(now) ? node.with(left, right) : merge(left, right);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Holds holds && holds.size() == size() && holds.asMap().equals(asMap());
    }

    @Override
    public int hashCode() {
        return asMap().hashCode();
    }

    @Override
    public String toString() {
        List<Hold> all = new ArrayList<>(asMap().values());
        return "Holds" + all;
    }
}
