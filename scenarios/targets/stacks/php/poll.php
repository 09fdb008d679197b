<?php
// A short poll: the messages after ?since=ID now, maybe none, as
// {"cursor":ID,"messages":[...]}; each message is written into the array
// as it was published. Without since: none, and the cursor of now.
require __DIR__ . '/store.php';

$path = store_path();
[$messages, $cursor] = store_read($path, store_cursor($path, $_GET['since'] ?? null));
header('Content-Type: application/json');
header('Cache-Control: no-cache');
echo '{"cursor":', $cursor, ',"messages":[', implode(',', array_column($messages, 1)), ']}';
