<?php
// Publish: the request's body is one message, appended to the store as one
// line under an exclusive lock. 204 when it is stored.
require __DIR__ . '/store.php';

$body = file_get_contents('php://input');
if ($_SERVER['REQUEST_METHOD'] !== 'POST' || $body === '' || strpbrk($body, "\r\n") !== false) {
    http_response_code(400);
    echo "POST one message, on one line\n";
    exit;
}
$f = fopen(store_path(), 'ab');
if ($f === false || !flock($f, LOCK_EX)) {
    http_response_code(500);
    echo "store not writable\n";
    exit;
}
fwrite($f, $body . "\n");
fflush($f);
flock($f, LOCK_UN);
fclose($f);
http_response_code(204);
