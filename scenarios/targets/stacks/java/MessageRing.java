import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The last {@code size} published messages, each kept as the bytes it was
 * published with, and their ids: 1, 2, 3... in publish order. The servers'
 * SSE event ids and poll cursors are these ids.
 *
 * <p>Not thread-safe: every caller holds the ring's monitor, which also
 * orders a publish against a subscriber's replay.
 */
final class MessageRing {
    private final byte[][] ring;
    private long last; // the newest message's id; 0 before the first

    MessageRing(int size) {
        ring = new byte[size][];
    }

    /** Keeps body as the next message and returns its id. */
    long add(byte[] body) {
        last++;
        ring[(int) (last % ring.length)] = body;
        return last;
    }

    /** The newest message's id (0 before the first). */
    long last() {
        return last;
    }

    /** The id of the oldest message still kept. */
    long oldest() {
        return Math.max(1, last - ring.length + 1);
    }

    /** The message with id (which must be between oldest() and last()). */
    byte[] get(long id) {
        return ring[(int) (id % ring.length)];
    }

    /**
     * The ids after cursor, at most max of them, from the oldest kept when
     * cursor is older than the ring: {first, end} with end exclusive.
     */
    long[] after(long cursor, int max) {
        long first = Math.max(cursor + 1, oldest());
        long end = Math.min(last + 1, first + max);
        return new long[] {first, Math.max(first, end)};
    }

    /**
     * The cursor a request names (a Last-Event-ID or ?since=), or the
     * newest id when it names none, or one this server never gave (a
     * restart): the client then starts from now.
     */
    long cursor(String value) {
        if (value == null) {
            return last;
        }
        try {
            long c = Long.parseLong(value.trim());
            return c >= 0 && c <= last ? c : last;
        } catch (NumberFormatException e) {
            return last;
        }
    }

    /**
     * A poll answer with the messages after cursor (at most max):
     * {"cursor":N,"messages":[...]} with each message's bytes written into
     * the array as published, and N the id of the last one (cursor itself
     * when there are none), which the next poll sends as since.
     */
    byte[] pollAnswer(long cursor, int max) {
        long[] r = after(cursor, max);
        long end = r[1];
        long next = end > r[0] ? end - 1 : cursor;
        int n = 40;
        for (long id = r[0]; id < end; id++) {
            n += get(id).length + 1;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(n);
        out.writeBytes(("{\"cursor\":" + next + ",\"messages\":[").getBytes(StandardCharsets.US_ASCII));
        for (long id = r[0]; id < end; id++) {
            if (id > r[0]) {
                out.write(',');
            }
            out.writeBytes(get(id));
        }
        out.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Whether a message after cursor is kept. */
    boolean hasAfter(long cursor) {
        return cursor < last;
    }

    /** The SSE event for message id: "id: N", "data: BODY", a blank line. */
    byte[] sseEvent(long id) {
        byte[] body = get(id);
        byte[] head = ("id: " + id + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
        byte[] ev = new byte[head.length + body.length + 2];
        System.arraycopy(head, 0, ev, 0, head.length);
        System.arraycopy(body, 0, ev, head.length, body.length);
        ev[ev.length - 2] = '\n';
        ev[ev.length - 1] = '\n';
        return ev;
    }

    /** The ids after cursor, all of them (a resuming SSE stream's replay). */
    List<Long> idsAfter(long cursor) {
        long[] r = after(cursor, ring.length);
        List<Long> ids = new ArrayList<>((int) (r[1] - r[0]));
        for (long id = r[0]; id < r[1]; id++) {
            ids.add(id);
        }
        return ids;
    }
}
