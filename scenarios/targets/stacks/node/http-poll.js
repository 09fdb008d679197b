'use strict';
// Long poll and short poll with Node's own http module and a since cursor.
// Every published message gets the next id (1, 2, 3...) and is kept in a
// bounded ring; a poll names the last id it has and gets what came after.
//
//   POST /publish                 the body (pushbench's message JSON) is kept byte for byte; 204
//   GET  /poll?since=ID           short poll: answered at once
//   GET  /longpoll?since=ID       long poll: held until a message comes or the hold ends (204)
//   GET  /ready                   204
//
// A poll with news answers 200 {"cursor":LAST,"messages":[M1,M2,...]}, the
// messages as published (written into the answer, never re-encoded) and
// LAST the id to send as since next time; at most 1,000 per answer. With
// nothing new it answers 204. Without since both answer at once with the
// current cursor and no messages: where a new client starts.
//
// node http-poll.js --port=P [--hold=SECONDS] [--ring=N]; --version prints
// node's version.
const http = require('node:http');
const { parseArgs } = require('node:util');
const { Ring } = require('./ring');

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    hold: { type: 'string', default: '30' },
    ring: { type: 'string', default: '120000' },
    version: { type: 'boolean', default: false },
  },
});
if (opts.version) {
  console.log(`node ${process.version}`);
  process.exit(0);
}

const MAX_BATCH = 1000;
const ring = new Ring(Number(opts.ring));
const waiting = new Set(); // held long polls: { res, since, timer }

// answer writes the messages after since, or 204 when there are none.
function answer(res, since) {
  const { items, last } = ring.after(since, MAX_BATCH);
  if (items.length === 0) {
    res.writeHead(204).end();
    return;
  }
  const body = `{"cursor":${last},"messages":[${items.join(',')}]}`;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function publish(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    ring.push(Buffer.concat(chunks).toString('utf8'));
    for (const w of waiting) {
      clearTimeout(w.timer);
      answer(w.res, w.since);
    }
    waiting.clear();
    res.writeHead(204).end();
  });
}

function poll(req, res, url, hold) {
  const raw = url.searchParams.get('since');
  if (raw === null) {
    const body = `{"cursor":${ring.last},"messages":[]}`;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(body);
    return;
  }
  const since = Number(raw);
  if (!Number.isSafeInteger(since) || since < 0) {
    res.writeHead(400, { 'Content-Type': 'text/plain' }).end('since: a message id\n');
    return;
  }
  if (!hold || since < ring.last) {
    answer(res, since);
    return;
  }
  const w = { res, since, timer: null };
  w.timer = setTimeout(() => {
    waiting.delete(w);
    res.writeHead(204).end();
  }, Number(opts.hold) * 1000);
  waiting.add(w);
  res.on('close', () => {
    clearTimeout(w.timer);
    waiting.delete(w);
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/publish') return publish(req, res);
  if (req.method === 'GET' && url.pathname === '/poll') return poll(req, res, url, false);
  if (req.method === 'GET' && url.pathname === '/longpoll') return poll(req, res, url, true);
  if (req.method === 'GET' && url.pathname === '/ready') return res.writeHead(204).end();
  res.writeHead(404).end();
});
server.listen(Number(opts.port), '127.0.0.1');
