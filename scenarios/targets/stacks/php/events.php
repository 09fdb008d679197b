<?php
// Server-sent events as the basic_sse.php model serves them: this request
// holds one PHP-FPM worker for as long as the stream is open, and loops:
// look in the store for new messages, echo each as "id:" and "data:",
// flush, sleep a short interval. A client that sends Last-Event-ID (an id
// this script gave) resumes right after that message.
require __DIR__ . '/store.php';

// The loop's sleep. The article's script sleeps 1 s; 10 ms keeps a
// message's wait for the next look near 5 ms on average, at the cost of
// 100 looks a second per open stream.
const INTERVAL_US = 10000;

header('Content-Type: text/event-stream');
header('Cache-Control: no-cache');
header('X-Accel-Buffering: no'); // nginx passes this response on unbuffered
set_time_limit(0);               // a stream is not a slow page
while (ob_get_level() > 0) {
    ob_end_flush();              // php.ini's output_buffering would hold the events
}

$path = store_path();
$heartbeat = max(1, (int)($_SERVER['PUSHBENCH_HEARTBEAT'] ?? 15));
$cursor = store_cursor($path, $_SERVER['HTTP_LAST_EVENT_ID'] ?? null);

echo ": hi\n\n"; // sends the headers now: the stream is open
flush();
$quiet = time();
while (!connection_aborted()) {
    [$messages, $cursor] = store_read($path, $cursor);
    if ($messages) {
        foreach ($messages as [$id, $data]) {
            echo "id: $id\ndata: $data\n\n";
        }
        flush();
        $quiet = time();
    } elseif (time() - $quiet >= $heartbeat) {
        echo ": hb\n\n"; // a comment, so a dead client is noticed and proxies keep the stream
        flush();
        $quiet = time();
    }
    usleep(INTERVAL_US);
}
