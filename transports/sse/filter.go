package sse

import (
	"bytes"

	"github.com/pushbench/pushbench/transports/wire"
)

// action is what a connection does with one Write call from the library.
type action int

const (
	pass    action = iota // write it
	drop                  // discard it: part of an event already replayed
	passID                // write it: the id line of a new event
	gapThen               // write a gap signal for the skipped seqs, then the id line
)

// filter follows the library's live output for one connection and drops
// events the connection's replay already sent. The library writes each
// event as separate Write calls, in this order (http.go:88-116):
// "id: N\n", "data: ...\n", optional "event: ...\n", an optional
// ": comment\n", and a lone "\n" that ends the event. A comment-only event
// (a heartbeat) has no id line and always passes.
//
// last is the newest seq written to the connection (by the replay or by
// the library). An event whose id is <= last is dropped from its id line
// to its terminating "\n". An event whose id is beyond last+1 means the
// publisher skipped seqs (the log left it behind): step reports gapThen so
// the connection writes a gap signal first, never skipping silently.
//
// A filter belongs to one connection and is used by one goroutine.
type filter struct {
	last     int64
	dropping bool
}

var idPrefix = []byte("id: ")

// step classifies p, one Write call from the library. For passID and
// gapThen it returns the event's id and sets last to it; for gapThen,
// gapFirst..id-1 are the skipped seqs.
func (f *filter) step(p []byte) (a action, id, gapFirst int64) {
	if len(p) == 1 && p[0] == '\n' { // end of event
		if f.dropping {
			f.dropping = false
			return drop, 0, 0
		}
		return pass, 0, 0
	}
	if f.dropping {
		return drop, 0, 0
	}
	id, ok := parseID(p)
	if !ok { // data, comment, or an id that is not a seq: leave it alone
		return pass, 0, 0
	}
	if id <= f.last {
		f.dropping = true
		return drop, id, 0
	}
	a, gapFirst = passID, f.last+1
	if id > gapFirst {
		a = gapThen
	}
	f.last = id
	return a, id, gapFirst
}

// parseID parses "id: N\n" without allocating.
func parseID(p []byte) (int64, bool) {
	if !bytes.HasPrefix(p, idPrefix) || p[len(p)-1] != '\n' {
		return 0, false
	}
	return wire.Digits(p[len(idPrefix):len(p)-1], 18)
}
