'use strict';
// WebSocket with WebSocket-Node (the npm package `websocket`), as its
// README serves it: connections accepted on the server's 'request' event,
// and every published message sent to all of them with the server's own
// broadcastUTF as one text message.
//
//   POST /publish   the body (pushbench's message JSON) is broadcast as a text message; 204
//   GET  /ws        the WebSocket upgrade (other paths are refused with 404)
//   GET  /ready     204
//
// There is no resume: a client that reconnects gets messages from then on.
//
// node websocket-node.js --port=P [--heartbeat=SECONDS]; --version prints
// the versions of websocket and node.
const http = require('node:http');
const { parseArgs } = require('node:util');
const { server: WebSocketServer, version } = require('websocket');

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: '8080' },
    heartbeat: { type: 'string', default: '15' },
    version: { type: 'boolean', default: false },
  },
});
if (opts.version) {
  console.log(`websocket ${version}, node ${process.version}`);
  process.exit(0);
}

function publish(req, res) {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    wsServer.broadcastUTF(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(204).end();
  });
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/publish') return publish(req, res);
  if (req.method === 'GET' && req.url === '/ready') return res.writeHead(204).end();
  res.writeHead(404).end();
});

// WebSocket-Node's defaults but one: its keepalive pings a connection
// after keepaliveInterval without data from it (20 s by default; here the
// scenario's heartbeat) and drops it when nothing comes back within the
// grace period (10 s). Outgoing messages over 16 KiB go as fragments (its
// fragmentationThreshold).
const wsServer = new WebSocketServer({
  httpServer: server,
  autoAcceptConnections: false,
  keepaliveInterval: Number(opts.heartbeat) * 1000,
});

wsServer.on('request', (request) => {
  if (request.resourceURL.pathname !== '/ws') {
    request.reject(404);
    return;
  }
  request.accept(null, request.origin);
});

server.listen(Number(opts.port), '127.0.0.1');
