'use strict';
// WebSocket with the ws package, as its README broadcasts: every published
// message goes to every open client as one text frame, and a ping every
// heartbeat ends connections whose pong did not come back ("How to detect
// and close broken connections").
//
//   POST /publish   the body (pushbench's message JSON) is sent to every client as a text frame; 204
//   GET  /ws        the WebSocket upgrade
//   GET  /ready     204
//
// There is no resume: a client that reconnects gets messages from then on.
//
// node ws-server.js --port=P [--heartbeat=SECONDS]; --version prints the
// versions of ws and node.
const http = require('node:http');
const { parseArgs } = require('node:util');
const { WebSocketServer, WebSocket } = require('ws');

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    heartbeat: { type: 'string', default: '15' },
    version: { type: 'boolean', default: false },
  },
});
if (opts.version) {
  console.log(`ws ${require('ws/package.json').version}, node ${process.version}`);
  process.exit(0);
}

function publish(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    // A string is sent as a text frame (a Buffer would go as binary).
    const data = Buffer.concat(chunks).toString('utf8');
    wss.clients.forEach((client) => {
      if (client.readyState === WebSocket.OPEN) client.send(data);
    });
    res.writeHead(204).end();
  });
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') return publish(req, res);
  if (req.method === 'GET' && req.url === '/ready') return res.writeHead(204).end();
  res.writeHead(404).end();
});

// ws's defaults: no permessage-deflate on the server, 100 MiB most per
// incoming message.
const wss = new WebSocketServer({ server, path: '/ws' });

wss.on('connection', (ws) => {
  ws.isAlive = true;
  ws.on('error', console.error);
  ws.on('pong', () => {
    ws.isAlive = true;
  });
});

const interval = setInterval(() => {
  wss.clients.forEach((ws) => {
    if (ws.isAlive === false) return ws.terminate();
    ws.isAlive = false;
    ws.ping();
  });
}, Number(opts.heartbeat) * 1000);

wss.on('close', () => clearInterval(interval));

server.listen(Number(opts.port), '127.0.0.1');
