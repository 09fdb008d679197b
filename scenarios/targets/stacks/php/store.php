<?php
// The message store the scripts share: an append-only file with one
// message per line. A message's id is the byte offset just after its line,
// so an id is also the cursor to read on from.

// store_path is the file's path, given by nginx (fastcgi_param).
function store_path(): string
{
    return $_SERVER['PUSHBENCH_STORE'];
}

// store_size is the file's length now (0 before the first message).
function store_size(string $path): int
{
    clearstatcache(true, $path);
    $size = @filesize($path);
    return $size === false ? 0 : $size;
}

// store_cursor is the cursor a request names, or the end of the store
// (from now) when it names none or one past the end (another store).
function store_cursor(string $path, ?string $value): int
{
    $size = store_size($path);
    if ($value === null || !ctype_digit($value) || (int)$value > $size) {
        return $size;
    }
    return (int)$value;
}

// store_read returns the messages after cursor, each [id, line], and the
// cursor after the last of them. A line still being written (no newline
// yet) is left for the next read.
function store_read(string $path, int $cursor): array
{
    $size = store_size($path);
    if ($size <= $cursor) {
        return [[], $cursor];
    }
    $f = fopen($path, 'rb');
    if ($f === false) {
        return [[], $cursor];
    }
    fseek($f, $cursor);
    $data = stream_get_contents($f, $size - $cursor);
    fclose($f);
    $end = strrpos($data, "\n");
    if ($end === false) {
        return [[], $cursor];
    }
    $messages = [];
    $at = 0;
    while ($at <= $end) {
        $nl = strpos($data, "\n", $at);
        $messages[] = [$cursor + $nl + 1, substr($data, $at, $nl - $at)];
        $at = $nl + 1;
    }
    return [$messages, $cursor + $end + 1];
}
