'use strict';
// Socket.IO 4 as its guide writes a broadcast server: new Server(httpServer)
// on Node's http server, and io.emit to every connected client. Clients
// reach it over either of Socket.IO's transports, HTTP long-polling or
// WebSocket, at /socket.io/ (Engine.IO v4, Socket.IO protocol v5).
//
//   POST /publish     the body (pushbench's message JSON) is emitted to every client as
//                     the event "message" with the body as its one argument; 204
//   GET  /socket.io/  Socket.IO's endpoint (polling GET and POST, WebSocket upgrade)
//   GET  /ready       204
//
// The body is emitted as the string it arrived as, not parsed: Socket.IO
// writes the event as 42["message","<the body, JSON-escaped>"], so a client
// that unescapes the string gets pushbench's bytes as published.
//
// There is no resume: connection state recovery (Socket.IO 4.6+) is off by
// default and left off, so a client that reconnects gets messages from then
// on.
//
// node socketio-server.js --port=P [--heartbeat=SECONDS] [--ping-timeout=SECONDS];
// --version prints the versions of socket.io and node. The target leaves
// --ping-timeout at Socket.IO's default (20 s); tests shorten it.
const http = require('node:http');
const { parseArgs } = require('node:util');
const { Server } = require('socket.io');

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    heartbeat: { type: 'string', default: '25' },
    'ping-timeout': { type: 'string', default: '20' },
    version: { type: 'boolean', default: false },
  },
});
if (opts.version) {
  console.log(`socket.io ${require('socket.io/package.json').version}, node ${process.version}`);
  process.exit(0);
}

function publish(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    io.emit('message', Buffer.concat(chunks).toString('utf8'));
    res.writeHead(204).end();
  });
}

// Socket.IO answers its own path (/socket.io/) before this handler runs;
// every other request comes here.
const httpServer = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') return publish(req, res);
  if (req.method === 'GET' && req.url === '/ready') return res.writeHead(204).end();
  res.writeHead(404).end();
});

// Socket.IO's defaults (both transports, no per-message deflate, no
// connection state recovery) but the heartbeat: the server pings every
// client each pingInterval (the run's heartbeat; Socket.IO's default is
// 25 s) and closes one whose pong has not come within pingTimeout
// (Socket.IO's default, 20 s, unless --ping-timeout says otherwise).
const io = new Server(httpServer, {
  pingInterval: Number(opts.heartbeat) * 1000,
  pingTimeout: Number(opts['ping-timeout']) * 1000,
});

httpServer.listen(Number(opts.port), '127.0.0.1');
