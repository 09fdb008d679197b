// Shared by the client scripts: arguments, the overall timeout, the sequence
// check and the output, one JSON object per line on stdout:
//
//   {"event":"open"}                          first connection open
//   {"event":"message","seq":N}               one message
//   {"event":"error",...} / {"event":"close",...}  connection lost (the client reconnects)
//   {"event":"reconnect","n":R,"since":S}     connection open again (S: last seq seen)
//   {"event":"dup","seq":N,"last":L}          seq not after the last one seen
//   {"event":"gap","first":F,"last":L,...}    seqs F..L missed (or signalled lost by the server)
//   {"event":"fatal","reason":"..."}          protocol problem: the script exits 1
//   {"event":"timeout","ms":T}                overall timeout: the script exits 3
//   {"event":"done","received":N,"first":F,"last":L,"dups":D,"gaps":G,"reconnects":R}
//
// The last line is always "done". Exit status: 0 when COUNT messages arrived
// with no duplicate and no gap, 1 on a protocol or delivery problem, 2 on
// bad arguments, 3 on timeout.

import { readFileSync } from 'node:fs'

// ca is the certificate to trust for https:// and wss:// URLs: the PEM file
// named by PUSHBENCH_CA (the server's own, made at its start), or undefined.
export function ca () {
  const file = process.env.PUSHBENCH_CA
  return file ? readFileSync(file) : undefined
}

const usageText = (script) =>
  `usage: node ${script} URL COUNT [TIMEOUT_MS]\n` +
  '  connects to URL, resumes after every lost connection, and exits after COUNT messages\n' +
  '  (TIMEOUT_MS: give up after this long, default 30000)\n'

// Tracker checks sequence continuity and writes the output lines.
export class Tracker {
  constructor (count, timeoutMs) {
    this.count = count
    this.received = 0
    this.first = null
    this.last = null // last seq seen: the resume cursor
    this.dups = 0
    this.gaps = 0
    this.reconnects = 0
    this.opens = 0
    this.stopped = false
    this.onStop = () => {}
    this.timer = setTimeout(() => {
      this.emit({ event: 'timeout', ms: timeoutMs })
      this.finish(3)
    }, timeoutMs)
  }

  emit (obj) {
    if (!this.stopped) process.stdout.write(JSON.stringify(obj) + '\n')
  }

  // opened reports a connection that is open; every one after the first is a reconnect.
  opened () {
    if (this.opens++ > 0) {
      this.reconnects++
      this.emit({ event: 'reconnect', n: this.reconnects, since: this.last })
    } else {
      this.emit({ event: 'open' })
    }
  }

  // message checks one message's seq against the last one seen.
  message (seq) {
    if (this.stopped) return
    if (!Number.isSafeInteger(seq) || seq < 1) return this.fail(`message seq ${JSON.stringify(seq)} is not a positive integer`)
    if (this.last !== null && seq <= this.last) {
      this.dups++
      this.emit({ event: 'dup', seq, last: this.last })
      return
    }
    if (this.last !== null && seq > this.last + 1) {
      this.gaps++
      this.emit({ event: 'gap', first: this.last + 1, last: seq - 1 })
    }
    if (this.first === null) this.first = seq
    this.last = seq
    this.received++
    this.emit({ event: 'message', seq })
    if (this.received >= this.count) this.finish(0)
  }

  // serverGap records a gap signal: the server says first..last are lost.
  serverGap (first, last) {
    if (this.stopped) return
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first < 1 || last < first) {
      return this.fail(`bad gap signal first=${first} last=${last}`)
    }
    this.gaps++
    this.emit({ event: 'gap', first, last, signalled: true })
    if (this.last === null || last > this.last) this.last = last
  }

  fail (reason) {
    this.emit({ event: 'fatal', reason })
    this.finish(1)
  }

  // finish writes the summary and exits; a clean run with dups or gaps exits 1.
  finish (code) {
    if (this.stopped) return
    if (code === 0 && (this.dups > 0 || this.gaps > 0)) code = 1
    clearTimeout(this.timer)
    this.emit({
      event: 'done',
      received: this.received,
      first: this.first,
      last: this.last,
      dups: this.dups,
      gaps: this.gaps,
      reconnects: this.reconnects
    })
    this.stopped = true
    try {
      this.onStop()
    } catch {}
    process.exitCode = code
    // Exit once the summary is written, whatever sockets or timers remain.
    process.stdout.write('', () => process.exit(code))
  }
}

// start parses argv (URL COUNT [TIMEOUT_MS]) and returns the URL and a tracker.
export function start (script, argv) {
  const [url, countArg, timeoutArg] = argv.slice(2)
  const count = Number(countArg)
  const timeoutMs = timeoutArg === undefined ? 30000 : Number(timeoutArg)
  let ok = Boolean(url) && Number.isSafeInteger(count) && count > 0 && Number.isFinite(timeoutMs) && timeoutMs > 0
  try {
    if (ok) new URL(url) // eslint-disable-line no-new
  } catch {
    ok = false
  }
  if (!ok) {
    process.stderr.write(usageText(script))
    process.exit(2)
  }
  return { url, tracker: new Tracker(count, timeoutMs) }
}

// parse decodes one wire object: a message {"seq":N,"sent":NS,"payload":"..."}
// or a gap signal {"type":"gap","first":F,"last":L}. It returns undefined
// after failing the run when text is neither.
export function parse (tracker, text) {
  let v
  try {
    v = JSON.parse(text)
  } catch {}
  if (v !== null && typeof v === 'object') {
    if (v.type === 'gap' && typeof v.first === 'number' && typeof v.last === 'number') return v
    if (v.type === undefined && typeof v.seq === 'number' && typeof v.sent === 'number' && typeof v.payload === 'string') return v
  }
  tracker.fail(`not a pushbench message or gap object: ${String(text).slice(0, 200)}`)
  return undefined
}
