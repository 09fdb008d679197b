// websocket.mjs URL COUNT [TIMEOUT_MS]: a WebSocket client (the ws package)
// reading a pushbench WebSocket stream, one text frame per message. The
// WebSocket protocol has no resume, so it is built here by hand: when the
// connection closes, the script waits RECONNECT_MS (env, default 100) and
// dials URL?since=LAST, LAST being the last seq it saw (before any message,
// the X-Pushbench-Head answer header when the server sends one). It checks
// the seqs for duplicates and gaps (common.mjs describes the output).
import WebSocket from 'ws'
import { ca, parse, start } from './common.mjs'

const { url, tracker } = start('websocket.mjs', process.argv)
const reconnectMs = Number(process.env.RECONNECT_MS ?? 100)
let ws = null
let head = null // the server's head at the first handshake, if it said
tracker.onStop = () => ws?.terminate()

function connect () {
  const u = new URL(url)
  const since = tracker.last ?? head
  if (since !== null) u.searchParams.set('since', String(since))
  ws = new WebSocket(u, { handshakeTimeout: 5000, perMessageDeflate: false, ca: ca() })

  ws.on('upgrade', (res) => {
    const h = Number(res.headers['x-pushbench-head'])
    if (head === null && tracker.last === null && Number.isSafeInteger(h) && h >= 0) head = h
  })
  ws.on('open', () => tracker.opened())
  ws.on('unexpected-response', (req, res) => {
    let body = ''
    res.setEncoding('utf8')
    res.on('data', (chunk) => { body += chunk })
    res.on('end', () => tracker.fail(`handshake refused: HTTP ${res.statusCode}: ${body.trim()}`))
    res.on('error', () => tracker.fail(`handshake refused: HTTP ${res.statusCode}`))
  })
  ws.on('message', (data, isBinary) => {
    if (isBinary) return tracker.fail('binary frame (want one text frame per message)')
    const msg = parse(tracker, data.toString('utf8'))
    if (msg === undefined) return
    if (msg.type === 'gap') return tracker.serverGap(msg.first, msg.last)
    tracker.message(msg.seq)
  })
  ws.on('error', (err) => tracker.emit({ event: 'error', message: err.message }))
  ws.on('close', (code, reason) => {
    if (tracker.stopped) return
    tracker.emit({ event: 'close', code, reason: reason.toString('utf8') })
    setTimeout(connect, reconnectMs)
  })
}

connect()
