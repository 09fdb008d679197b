package harness

import (
	"strings"
	"testing"

	"github.com/pushbench/pushbench/results"
)

func TestWitnessComparesTheLedgerWithRawArrivals(t *testing.T) {
	own := func(sent int64) samples { return samples{sent: sent, ledger: true} }
	quiet := ledgerState{settled: true, caughtUp: true}
	for _, tt := range []struct {
		name          string
		d             results.Delivery
		s0, s1        samples
		ls            ledgerState
		written       int64 // -1: no ledger in the record
		mismatch, has string
	}{
		{name: "witnesses agree", d: results.Delivery{Counts: results.Counts{Raw: 500}}, s0: own(100), s1: own(600), ls: quiet,
			written: 500, has: "two witnesses"},
		{name: "a client counted what was never written", d: results.Delivery{Counts: results.Counts{Raw: 501}}, s0: own(100), s1: own(600), ls: quiet,
			written: 500, mismatch: "1 arrivals were never written"},
		{name: "messages vanished with every connection alive", d: results.Delivery{Counts: results.Counts{Raw: 490}}, s0: own(100), s1: own(600), ls: quiet,
			written: 500, mismatch: "10 went missing between them"},
		{name: "a reconnect explains what the network took", d: results.Delivery{Counts: results.Counts{Raw: 490, Reconnects: 1}}, s0: own(100), s1: own(600), ls: quiet,
			written: 500, has: "10 written messages never reached a client's parser (1 reconnects"},
		{name: "a fault explains it", d: results.Delivery{Counts: results.Counts{Raw: 490}}, s0: own(100), s1: own(600), ls: ledgerState{settled: true, caughtUp: true, fault: true},
			written: 500, has: "the scenario's faults"},
		{name: "an unfinished drain explains it", d: results.Delivery{Counts: results.Counts{Raw: 490}}, s0: own(100), s1: own(600), ls: ledgerState{settled: true},
			written: 500, has: "still behind"},
		{name: "a fault never explains extra arrivals", d: results.Delivery{Counts: results.Counts{Raw: 510, Reconnects: 3}}, s0: own(100), s1: own(600), ls: ledgerState{settled: true, fault: true},
			written: 500, mismatch: "10 arrivals were never written"},
		{name: "a target has one witness", d: results.Delivery{Counts: results.Counts{Raw: 5}}, s0: samples{target: true}, s1: samples{target: true}, ls: quiet,
			written: -1, has: "one witness (the clients): the server keeps no ledger"},
		{name: "a restart takes the ledger", d: results.Delivery{Counts: results.Counts{Raw: 5}}, s0: own(100), s1: own(3), ls: ledgerState{settled: true, caughtUp: true, restarted: true},
			written: -1, has: "restarted"},
		{name: "an unsettled start has one witness", d: results.Delivery{Counts: results.Counts{Raw: 5}}, s0: own(100), s1: own(600), ls: ledgerState{caughtUp: true},
			written: -1, has: "still arriving"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			witness(&d, tt.s0, tt.s1, tt.ls)
			switch {
			case tt.written < 0 && d.ServerWritten != nil:
				t.Errorf("ServerWritten = %d, want none", *d.ServerWritten)
			case tt.written >= 0 && (d.ServerWritten == nil || *d.ServerWritten != tt.written):
				t.Errorf("ServerWritten = %v, want %d", d.ServerWritten, tt.written)
			}
			if tt.mismatch == "" && d.Mismatch != "" {
				t.Errorf("Mismatch = %q, want none", d.Mismatch)
			}
			if tt.mismatch != "" && !strings.Contains(d.Mismatch, tt.mismatch) {
				t.Errorf("Mismatch = %q, want it to say %q", d.Mismatch, tt.mismatch)
			}
			if !strings.Contains(d.Witnesses, tt.has) {
				t.Errorf("Witnesses = %q, want it to say %q", d.Witnesses, tt.has)
			}
		})
	}
}
