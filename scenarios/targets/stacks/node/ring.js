'use strict';
// A bounded log of the most recent messages, numbered 1, 2, 3... in the
// order they were published: what a reconnecting SSE client (Last-Event-ID)
// or a poll (?since=ID) resumes from. Once full, each new message replaces
// the oldest.

class Ring {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = new Array(capacity);
    this.last = 0; // the newest message's id; 0 before the first
  }

  // push stores item as the next message and returns its id.
  push(item) {
    this.last++;
    this.items[this.last % this.capacity] = item;
    return this.last;
  }

  // oldest is the id of the oldest message still kept.
  oldest() {
    return Math.max(1, this.last - this.capacity + 1);
  }

  // after returns up to max of the messages after id, oldest first, and
  // the id of the last one returned (id itself when none is newer). An id
  // older than the ring resumes from the oldest message kept.
  after(id, max = Infinity) {
    const from = Math.max(id + 1, this.oldest());
    const to = Math.min(this.last, from + max - 1);
    const items = [];
    for (let i = from; i <= to; i++) items.push(this.items[i % this.capacity]);
    return { items, last: items.length > 0 ? to : id };
  }
}

module.exports = { Ring };
