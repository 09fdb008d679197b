package harness

import (
	"context"
	"fmt"
	"time"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
)

// settle waits, for a bounded time, until every client has every message
// published so far, so that the window opens on quiet sockets: the
// server's ledger (read just after) and the clients' raw counts (counted
// from the window's start) then cover the same messages. It reports
// whether they did; when not, the window keeps one witness.
func (r *Runner) settle(ctx context.Context, srv *servers, fl *fleet, sc scenarios.Scenario) bool {
	st, _, err := srv.status(ctx, false)
	if err != nil {
		return false
	}
	sctx, cancel := context.WithTimeout(ctx, max(5*time.Second, 2*sc.SLO.Duration))
	defer cancel()
	return fl.WaitCursors(sctx, st.Head) == nil
}

// ledgerState is what decides whether the server's ledger can witness a
// window and what may explain a difference between the witnesses.
type ledgerState struct {
	settled   bool // the warm-up's messages had all arrived when the window opened
	caughtUp  bool // every client had every message when the window closed
	restarted bool // server processes were killed in the window: their counters went with them
	fault     bool // the scenario injects faults
}

// witness compares the server's ledger (messages written to subscribers
// between s0 and s1) with the clients' raw arrivals in d, and records the
// result: the ledger in d.ServerWritten, which witnesses the counts have
// in d.Witnesses, and a disagreement the window's events cannot explain as
// d.Mismatch, which keeps the record out of every result.
//
// Written and raw are equal when every connection lived through the
// window: a message the server wrote reaches the client's parser or the
// connection dies. Fewer raw than written is explained by a connection that
// ended (reconnects, drops, slow-consumer disconnects, failed workers), a
// fault, or a drain that did not finish; more raw than written never is.
func witness(d *results.Delivery, s0, s1 samples, ls ledgerState) {
	var why string
	switch {
	case !s0.ledger || !s1.ledger:
		why = "one witness (the clients): the server keeps no ledger pushbench can read"
	case ls.restarted:
		why = "one witness (the clients): the server was restarted in the window and its ledger with it"
	case !ls.settled:
		why = "one witness (the clients): the warm-up's messages were still arriving when the window opened"
	}
	if why != "" {
		d.Witnesses = why
		return
	}
	written := s1.sent - s0.sent
	d.ServerWritten = &written
	d.Witnesses = "two witnesses: the server's ledger of messages written and the clients' raw arrivals"
	gone := written - d.Raw
	var cause string
	switch {
	case d.Reconnects+d.Drops > 0:
		cause = fmt.Sprintf("%d reconnects and %d dropped connections", d.Reconnects, d.Drops)
	case d.SlowDisconnects > 0:
		cause = fmt.Sprintf("%d slow-consumer disconnects", d.SlowDisconnects)
	case d.FailedClients > 0:
		cause = fmt.Sprintf("%d clients on failed workers", d.FailedClients)
	case ls.fault:
		cause = "the scenario's faults"
	case !ls.caughtUp:
		cause = "clients still behind when the window closed"
	}
	mismatch := ""
	switch {
	case gone < 0:
		mismatch = fmt.Sprintf("counts disagree: clients parsed %d messages, the server wrote %d: %d arrivals were never written", d.Raw, written, -gone)
	case gone > 0 && cause == "":
		mismatch = fmt.Sprintf("counts disagree: the server wrote %d messages, clients parsed %d, and no connection ended, no fault ran, every client caught up: %d went missing between them", written, d.Raw, gone)
	case gone > 0:
		d.Witnesses += fmt.Sprintf("; %d written messages never reached a client's parser (%s)", gone, cause)
	}
	if mismatch != "" && d.Mismatch == "" {
		d.Mismatch = mismatch
	}
}
