package loadgen

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/pushbench/pushbench/results"
)

// Report is a worker's window as it crosses to the coordinator: the counts,
// the histograms in HdrHistogram's compressed V2 encoding (identical bounds
// and precision on every worker, so merging them is exact), and the
// worker's own cost.
type Report struct {
	results.Counts
	Clients   int    `json:"clients"`
	Connected int64  `json:"connected"`
	BytesIn   int64  `json:"bytes_in"`
	BytesOut  int64  `json:"bytes_out"`
	Latency   []byte `json:"latency"`
	Connect   []byte `json:"connect"`
	Reconnect []byte `json:"reconnect"`
	// TLS handshakes (full, resumed) in the window; absent for plaintext.
	TLSFull    []byte            `json:"tls_full,omitempty"`
	TLSResumed []byte            `json:"tls_resumed,omitempty"`
	Conns      int64             `json:"conns,omitempty"` // shared HTTP/2 connections opened
	Errors     map[string]int    `json:"errors,omitempty"`
	Self       results.Resources `json:"self"` // the worker process over the window
	PID        int               `json:"pid"`
	// ClientMode and ClientModeWhy are Window's.
	ClientMode    string `json:"client_mode,omitempty"`
	ClientModeWhy string `json:"client_mode_why,omitempty"`
}

// Encode turns a window into a report.
func (w Window) Encode() (Report, error) {
	r := Report{Counts: w.Counts, Clients: w.Clients, Connected: w.Connected, BytesIn: w.BytesIn, BytesOut: w.BytesOut, Errors: w.Errors, Conns: w.Conns,
		ClientMode: w.ClientMode, ClientModeWhy: w.ClientModeWhy}
	var err error
	if r.Latency, err = w.Latency.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err != nil {
		return r, fmt.Errorf("failed to encode the latency histogram: %w", err)
	}
	if r.Connect, err = w.Connect.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err != nil {
		return r, fmt.Errorf("failed to encode the connect histogram: %w", err)
	}
	if r.Reconnect, err = w.Reconnect.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err != nil {
		return r, fmt.Errorf("failed to encode the reconnect histogram: %w", err)
	}
	for _, h := range []struct {
		from *hdrhistogram.Histogram
		to   *[]byte
	}{{w.TLSFull, &r.TLSFull}, {w.TLSResumed, &r.TLSResumed}} {
		if h.from == nil || h.from.TotalCount() == 0 {
			continue
		}
		if *h.to, err = h.from.Encode(hdrhistogram.V2CompressedEncodingCookieBase); err != nil {
			return r, fmt.Errorf("failed to encode a TLS handshake histogram: %w", err)
		}
	}
	return r, nil
}

// Merge adds the reports' windows into one. A histogram whose bounds or
// precision differ from pushbench's, or whose merge drops values, is an
// error: a merged figure must equal one histogram fed every sample.
func Merge(reports []Report) (Window, error) {
	w := Window{Latency: newHist(), Connect: newHist(), Reconnect: newHist(), TLSFull: newHist(), TLSResumed: newHist(), Errors: map[string]int{}}
	for i, r := range reports {
		w.Counts.Add(r.Counts)
		w.Clients += r.Clients
		w.Connected += r.Connected
		w.BytesIn += r.BytesIn
		w.BytesOut += r.BytesOut
		w.Conns += r.Conns
		switch {
		case i == 0:
			w.ClientMode, w.ClientModeWhy = r.ClientMode, r.ClientModeWhy
		case r.ClientMode != w.ClientMode:
			w.ClientMode = "mixed"
		}
		for k, v := range r.Errors {
			w.Errors[k] += v
		}
		for _, h := range []struct {
			name string
			into *hdrhistogram.Histogram
			b    []byte
		}{{"latency", w.Latency, r.Latency}, {"connect", w.Connect, r.Connect}, {"reconnect", w.Reconnect, r.Reconnect},
			{"full TLS handshake", w.TLSFull, r.TLSFull}, {"resumed TLS handshake", w.TLSResumed, r.TLSResumed}} {
			if len(h.b) == 0 {
				continue
			}
			d, err := hdrhistogram.Decode(h.b)
			if err != nil {
				return w, fmt.Errorf("report %d: bad %s histogram: %w", i+1, h.name, err)
			}
			if d.LowestTrackableValue() != histMin || d.HighestTrackableValue() != histMax || d.SignificantFigures() != histDigits {
				return w, fmt.Errorf("report %d: %s histogram tracks %d..%d at %d digits, pushbench's %d..%d at %d: workers of another pushbench?",
					i+1, h.name, d.LowestTrackableValue(), d.HighestTrackableValue(), d.SignificantFigures(), histMin, histMax, histDigits)
			}
			if dropped := h.into.Merge(d); dropped > 0 {
				return w, fmt.Errorf("report %d: merging its %s histogram dropped %d values", i+1, h.name, dropped)
			}
		}
	}
	return w, nil
}
