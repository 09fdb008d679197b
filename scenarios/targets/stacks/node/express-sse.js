'use strict';
// Server-Sent Events with express 5, as an article's Node server has it:
// each event carries an `id:`, and a client that reconnects with
// Last-Event-ID gets the events it missed from a bounded ring first.
//
//   POST /publish   the body (pushbench's message JSON) is one event's data, byte for byte; 204
//   GET  /events    text/event-stream: "id: N" and "data: <body>" per event, ": keep-alive" comments
//   GET  /ready     204
//
// node express-sse.js --port=P [--heartbeat=SECONDS] [--ring=N]; --version
// prints the versions of express and node.
const { parseArgs } = require('node:util');
const express = require('express');
const { Ring } = require('./ring');

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    heartbeat: { type: 'string', default: '15' },
    ring: { type: 'string', default: '120000' },
    version: { type: 'boolean', default: false },
  },
});
if (opts.version) {
  console.log(`express ${require('express/package.json').version}, node ${process.version}`);
  process.exit(0);
}

const ring = new Ring(Number(opts.ring)); // each kept event, formatted
const clients = new Set();
const app = express();

app.get('/ready', (req, res) => res.sendStatus(204));

// The message is kept as the bytes that came: express.raw, not
// express.json, whose parse and re-serialisation would change them. Its
// default size limit (100 KB) holds pushbench's largest message.
app.post('/publish', express.raw({ type: '*/*' }), (req, res) => {
  const data = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  const id = ring.last + 1;
  // One data: line per line of the body (a JSON body has none but the first).
  const event = `id: ${id}\n${data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('')}\n`;
  ring.push(event);
  for (const res of clients) res.write(event);
  res.sendStatus(204);
});

app.get('/events', (req, res) => {
  res.set({
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  // A reconnecting EventSource sends the last id it saw: replay what came
  // after it that the ring still holds.
  const lastId = Number.parseInt(req.get('Last-Event-ID') ?? '', 10);
  if (Number.isSafeInteger(lastId)) {
    const missed = ring.after(lastId).items;
    if (missed.length > 0) res.write(missed.join(''));
  }
  clients.add(res);
  req.on('close', () => clients.delete(res));
});

// A comment line on every stream every heartbeat keeps idle connections
// (and proxies in between) from timing out.
setInterval(() => {
  for (const res of clients) res.write(': keep-alive\n\n');
}, Number(opts.heartbeat) * 1000);

app.listen(Number(opts.port), '127.0.0.1', (err) => {
  if (err) throw err;
});
