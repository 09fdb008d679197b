// eventsource.mjs URL COUNT [TIMEOUT_MS]: a standard EventSource client (the
// eventsource package) reading a pushbench SSE stream. Resume is the
// library's own: after a lost connection it waits the server's retry: time
// and reconnects with Last-Event-ID set to the last id it saw. The script
// only watches: it checks every event's id against its seq and the seqs for
// duplicates and gaps (common.mjs describes the output).
import EventSource from 'eventsource'
import { ca, parse, start } from './common.mjs'

const { url, tracker } = start('eventsource.mjs', process.argv)
const es = new EventSource(url, { https: { ca: ca() } })
tracker.onStop = () => es.close()

es.onopen = () => tracker.opened()

es.onmessage = (e) => {
  const msg = parse(tracker, e.data)
  if (msg === undefined) return
  if (msg.type === 'gap') return tracker.fail('gap object sent as a plain message (want event: gap)')
  if (e.lastEventId !== String(msg.seq)) {
    return tracker.fail(`event id ${JSON.stringify(e.lastEventId)} differs from seq ${msg.seq}`)
  }
  tracker.message(msg.seq)
}

es.addEventListener('gap', (e) => {
  const gap = parse(tracker, e.data)
  if (gap === undefined) return
  if (gap.type !== 'gap') return tracker.fail(`event: gap carries ${e.data}`)
  if (e.lastEventId !== String(gap.last)) {
    return tracker.fail(`gap event id ${JSON.stringify(e.lastEventId)} differs from its last ${gap.last}`)
  }
  tracker.serverGap(gap.first, gap.last)
})

es.onerror = (e) => {
  if (tracker.stopped) return
  tracker.emit({ event: 'error', status: e.status ?? null, message: e.message ?? null })
  // A lost connection leaves the source CONNECTING (it reconnects by itself);
  // a refused one (e.g. HTTP 400) closes it for good.
  setImmediate(() => {
    if (es.readyState === EventSource.CLOSED) {
      tracker.fail(`stream closed for good: HTTP ${e.status ?? '?'} ${e.message ?? ''}`.trim())
    }
  })
}
