// pushbench's browser client: opens streams of one transport against a
// pushbench server and queues what they receive for the Go side, which
// takes the queue over the DevTools protocol (__pb.take()). Every event
// carries the page's clock, performance.timeOrigin + performance.now(),
// in Unix milliseconds; seqs and intended send times stay strings (they
// exceed 2^53), so Go parses them exactly.
"use strict";
(() => {
  const now = () => performance.timeOrigin + performance.now();
  const q = [];
  const streams = [];
  let last = null; // BigInt: streams close once their cursor reaches it
  let cfg = null;
  const msgRE = /\{"seq":(\d+),"sent":(\d+),/g;
  const gapRE = /\{"type":"gap","first":(\d+),"last":(\d+)\}/g;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function url(st) {
    return cfg.base + cfg.path + "?since=" + st.cursor.toString();
  }

  // handle accounts one received text (an event, a frame or a poll
  // answer) and returns how many objects it held.
  function handle(st, text, at) {
    let n = 0;
    for (const m of text.matchAll(gapRE)) {
      q.push(["g", st.id, m[1], m[2], at]);
      const l = BigInt(m[2]);
      if (l > st.cursor) st.cursor = l;
      n++;
    }
    for (const m of text.matchAll(msgRE)) {
      q.push(["m", st.id, m[1], m[2], at]);
      const s = BigInt(m[1]);
      if (s > st.cursor) st.cursor = s;
      n++;
    }
    if (n === 0 && text.length > 0 && text !== "[]") q.push(["e", st.id, at, "unrecognised data: " + text.slice(0, 40)]);
    check(st);
    return n;
  }

  function check(st) {
    if (!st.done && last !== null && st.cursor >= last) {
      st.done = true;
      st.close();
      q.push(["x", st.id, now()]);
    }
  }

  function opened(st) {
    q.push(["o", st.id, now()]);
  }

  function eventSource(st) {
    const es = new EventSource(url(st));
    st.close = () => es.close();
    es.onopen = () => opened(st);
    es.onmessage = (e) => handle(st, e.data, now());
    es.addEventListener("gap", (e) => handle(st, e.data, now()));
    es.onerror = () => {
      if (!st.done) q.push(["e", st.id, now(), "EventSource error (readyState " + es.readyState + ")"]);
    };
  }

  function webSocket(st) {
    const ws = new WebSocket(url(st).replace(/^http/, "ws"));
    st.close = () => ws.close();
    ws.onopen = () => opened(st);
    ws.onmessage = (e) => handle(st, typeof e.data === "string" ? e.data : "", now());
    ws.onclose = (e) => {
      if (st.done) return;
      q.push(["e", st.id, now(), "WebSocket closed (code " + e.code + ")"]);
      setTimeout(() => { if (!st.done) webSocket(st); }, cfg.reconnectMs);
    };
  }

  async function poll(st, hold) {
    let ctrl = new AbortController();
    st.close = () => ctrl.abort();
    let open = false;
    // Short polls start at a random phase, as pushbench's own client does.
    if (!hold) await sleep(Math.random() * cfg.pollMs);
    let next = now();
    while (!st.done) {
      let text;
      try {
        const r = await fetch(url(st), { cache: "no-store", signal: ctrl.signal });
        if (!open) { open = true; opened(st); }
        text = await r.text();
        if (!r.ok) throw new Error("HTTP " + r.status + ": " + text.slice(0, 60));
      } catch (e) {
        if (st.done) return;
        q.push(["e", st.id, now(), String(e).slice(0, 100)]);
        open = false;
        await sleep(cfg.reconnectMs);
        continue;
      }
      const n = handle(st, text, now());
      q.push(["p", st.id, n === 0 ? 1 : 0]);
      if (!hold && !st.done) {
        const t = now();
        while (next <= t) next += cfg.pollMs;
        await sleep(next - t);
      }
    }
  }

  window.__pb = {
    // start opens c.streams streams numbered from c.first, each from
    // cursor c.since; c.kind is eventsource, websocket, longpoll or shortpoll.
    start(c) {
      cfg = c;
      for (let i = 0; i < c.streams; i++) {
        const st = { id: c.first + i, cursor: BigInt(c.since), done: false, close: () => {} };
        streams.push(st);
        q.push(["c", st.id, now()]);
        switch (c.kind) {
          case "eventsource": eventSource(st); break;
          case "websocket": webSocket(st); break;
          case "longpoll": poll(st, true); break;
          case "shortpoll": poll(st, false); break;
          default: throw new Error("unknown kind " + c.kind);
        }
      }
      return { isolated: self.crossOriginIsolated === true, origin: location.origin };
    },
    // finish closes each stream once it has everything up to seq.
    finish(seq) {
      last = BigInt(seq);
      streams.forEach(check);
    },
    // stop closes every stream at once.
    stop() {
      for (const st of streams) {
        if (!st.done) { st.done = true; st.close(); q.push(["x", st.id, now()]); }
      }
    },
    take() {
      const out = JSON.stringify(q);
      q.length = 0;
      return out;
    },
    clock() {
      return JSON.stringify([performance.timeOrigin + performance.now(), Date.now()]);
    },
  };
})();
