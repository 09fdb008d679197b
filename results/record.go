// Package results is pushbench's result schema: one Record per (scenario,
// step, transport, repetition), the files they are written to, and (later)
// tables, plots and comparisons built from them.
package results

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion changes whenever a field's meaning changes; readers reject
// other versions with a clear message.
const SchemaVersion = 2

// Record is one measured (scenario, step, transport, repetition). Times are
// microseconds unless a name says otherwise; byte counts are at the socket.
type Record struct {
	Schema     int       `json:"schema"`
	RunID      string    `json:"run_id"`
	Scenario   string    `json:"scenario"`
	Kind       string    `json:"kind"`
	Step       int       `json:"step"`
	StepParam  string    `json:"step_param,omitempty"` // clients, rate or payload
	StepValue  float64   `json:"step_value,omitempty"`
	Transport  string    `json:"transport"`
	Library    string    `json:"library"`
	Repetition int       `json:"repetition"`
	Started    time.Time `json:"started"`
	Params     Params    `json:"params"`
	Machine    Machine   `json:"machine"`
	Pinning    string    `json:"pinning"`
	Error      string    `json:"error,omitempty"`
	// Interrupted marks a step cut short by the user (Ctrl-C) or the run's
	// deadline: its numbers are incomplete, never loss, and compare and the
	// claims leave it out.
	Interrupted bool                   `json:"interrupted,omitempty"`
	Notes       []string               `json:"notes,omitempty"`
	Delivery    Delivery               `json:"delivery"`
	Latency     Summary                `json:"latency"`
	Connect     Summary                `json:"connect"`
	Reconnect   Summary                `json:"reconnect"` // unplanned disconnect to the next handshake, in the window
	Wire        Wire                   `json:"wire"`
	Server      Resources              `json:"server"`
	Loadgen     Resources              `json:"loadgen"`
	LatencyHist *hdrhistogram.Snapshot `json:"latency_hist,omitempty"`

	// ServerConns is the connections open on each server process at the
	// window's end, when there are several: how evenly the kernel spread them.
	ServerConns []int64 `json:"server_conns,omitempty"`

	// Proxy is the real reverse proxy (nginx, HAProxy) in the path, when
	// the network profile has one: its configuration and its own cost.
	Proxy *ProxyUsage `json:"proxy,omitempty"`

	// Facts are the transport's facts from its descriptor (order, style,
	// floor, family, minimum for this record's message): the report reads
	// them, never the name. nil in records written before them
	// (FactsOf falls back to the built-in ones).
	Facts *TransportFacts `json:"facts,omitempty"`
	// Client is who measured the record: "" for pushbench's load
	// generator, "browser" for pages in headless Chromium (Browser then
	// holds the browser's facts and each stream's timeline).
	Client  string      `json:"client,omitempty"`
	Browser *BrowserRun `json:"browser,omitempty"`
	// TLS counts a TLS variant's handshakes in the window.
	TLS *TLSHandshakes `json:"tls,omitempty"`
	// HTTP2 is an HTTP/2 variant's costs per connection and per stream.
	HTTP2 *HTTP2Usage `json:"http2,omitempty"`
	// Implementation is the server that was measured: a target
	// (nchan, centrifugo, a user's own) or pushbench's own serve. nil in
	// records written before targets: pushbench's own (ImplementationOf).
	Implementation *Implementation `json:"implementation,omitempty"`
	// Publisher is the open-loop publisher's own account when it
	// publishes through a target's API: requests, errors, lag, CPU.
	Publisher *PublisherUsage `json:"publisher,omitempty"`
}

// Implementation names the server a record measured beside its
// transport: the transport is the protocol, this is who spoke it.
type Implementation struct {
	Name    string `json:"name"`    // "pushbench", "nchan", "centrifugo", a target file's name
	Version string `json:"version"` // as the target reports it
	Model   string `json:"model"`   // event loop, thread pool, process per connection
	Runtime string `json:"runtime,omitempty"`
	// Resume is how its clients resumed after a disconnect
	// ("last-event-id", "headers", "url"), or "none" when the server
	// offers no resume for this transport.
	Resume string `json:"resume,omitempty"`
	// Local is false when the target runs elsewhere: its CPU and memory
	// are then not measured.
	Local bool     `json:"local"`
	Notes []string `json:"notes,omitempty"`
}

// PublisherUsage is the publisher's account of a window when it
// publishes through a target's HTTP API.
type PublisherUsage struct {
	Requests int64 `json:"requests"` // publish requests answered with an OK status
	Errors   int64 `json:"errors"`   // failed or refused publish requests
	// ErrorSample is one error, verbatim but bounded.
	ErrorSample string `json:"error_sample,omitempty"`
	// LagP99Us and LagMaxUs are how late publish requests started
	// against their intended times: a publisher that cannot keep up
	// shows here (and as latency, since messages carry intended times).
	LagP99Us   float64 `json:"lag_p99_us"`
	LagMaxUs   float64 `json:"lag_max_us"`
	CPUSeconds float64 `json:"cpu_s"`
	CPUShare   float64 `json:"cpu_share"` // of one core over the window
	// Saturated is why the publisher's figures cannot be trusted ("" when
	// they can): its core was busy, or it fell behind its schedule.
	Saturated string `json:"saturated,omitempty"`
}

// ImplementationOf is the record's implementation: its own, or
// pushbench's serve for records that name none.
func ImplementationOf(r Record) Implementation {
	if r.Implementation != nil {
		return *r.Implementation
	}
	return Implementation{Name: "pushbench", Model: "event loop", Runtime: "Go", Local: true}
}

// HTTP2Usage splits an HTTP/2 record's costs between its connections and
// its streams (one stream per client): socket bytes are per connection now,
// and a connection's memory serves all its streams.
type HTTP2Usage struct {
	Conns          int64   `json:"conns"`            // connections the load generator opened (reconnections included)
	StreamsPerConn float64 `json:"streams_per_conn"` // clients / conns
	// Server heap (+stacks) growth per stream and per connection, and the
	// socket bytes per connection-minute.
	HeapPerStream   float64 `json:"heap_per_stream"`
	HeapPerConn     float64 `json:"heap_per_conn"`
	RSSPerConn      float64 `json:"rss_per_conn"`
	BytesPerConnMin float64 `json:"bytes_per_conn_minute"`
}

// ProxyUsage is a real proxy's configuration and cost over the window.
type ProxyUsage struct {
	Kind       string   `json:"kind"`    // nginx or haproxy
	Form       string   `json:"form"`    // stock, tuned or custom
	Version    string   `json:"version"` // of the binary
	ConfigFile string   `json:"config_file"`
	Config     string   `json:"config"`           // the configuration it ran, as written
	Fix        string   `json:"fix,omitempty"`    // what the form changes from stock
	IdleS      float64  `json:"idle_s,omitempty"` // every timeout set to this (idle-close fault)
	NotProxied []string `json:"not_proxied,omitempty"`
	Processes  int      `json:"processes"`
	RSSBytes   int64    `json:"rss_bytes"`      // all its processes, at the end of the window
	RSSBase    int64    `json:"rss_base_bytes"` // just after start, no connection
	RSSPerConn float64  `json:"rss_per_conn"`   // (RSS - base) / clients
	FDs        int      `json:"fds"`
	CPUSeconds float64  `json:"cpu_s"`     // over the window
	CPUShare   float64  `json:"cpu_share"` // of one core over the window
	// Cores is what the proxy can use: its threads over all its
	// processes, at most the machine's CPUs. Saturated says it used more
	// than 85% of them, or wanted to (runnable, waiting for a CPU): the
	// record then measures the proxy as much as the transport.
	Cores       float64 `json:"cores,omitempty"`
	Saturated   string  `json:"saturated,omitempty"`
	CPUPerMsgUs float64 `json:"cpu_per_message_us"` // CPU / delivered
	Exited      string  `json:"exited,omitempty"`   // the proxy died during the window
}

// Params are the scenario's settings for this step.
type Params struct {
	Clients      int     `json:"clients"`
	Rate         float64 `json:"rate"`          // offered messages per second
	Payload      int     `json:"payload"`       // payload bytes
	MessageBytes int     `json:"message_bytes"` // encoded message (JSON) bytes
	BurstSize    int     `json:"burst_size,omitempty"`
	BurstEvery   string  `json:"burst_every,omitempty"`
	DurationS    float64 `json:"duration_s"`
	WarmupS      float64 `json:"warmup_s"`
	PollInterval string  `json:"poll_interval,omitempty"` // shortpoll only
	Lifetime     string  `json:"lifetime,omitempty"`      // churn: connection lifetime
	Network      string  `json:"network"`
	Ring         int     `json:"ring"`            // server log capacity, messages
	Fault        string  `json:"fault,omitempty"` // the fault injected, e.g. "reset every 2s"
	SLOP99Us     int64   `json:"slo_p99_us"`
	// The server and client settings a fault's outcome depends on, as run
	// (defaults filled in), so the report describes them from the record.
	Heartbeat   string           `json:"heartbeat,omitempty"`    // server keep-alive on idle push connections
	HoldTimeout string           `json:"hold_timeout,omitempty"` // long-poll hold
	ReadTimeout string           `json:"read_timeout,omitempty"` // client: silent connection declared dead
	Reconnect   *ReconnectPolicy `json:"reconnect,omitempty"`
	// Binary: the payloads were binary (serve.BinaryPayload), sent raw by
	// WebSocket (binary frames) and rawtcp behind a 21-byte header, and
	// base64-encoded in the JSON message by SSE and the polls;
	// MessageBytes is then the JSON (base64) form.
	Binary bool `json:"binary,omitempty"`
	// TLS is how a TLS variant's clients connected (nil for plaintext).
	TLS *TLSParams `json:"tls,omitempty"`
	// HTTP2 is how an HTTP/2 variant's clients shared connections (nil
	// for HTTP/1.1).
	HTTP2 *HTTP2Params `json:"http2,omitempty"`
	// ClientMode is how the load generator ran its clients: "goroutine"
	// (one each, in the transport's client) or "reactor" (held push
	// connections read, and poll clients run, by a few epoll loops; package
	// loadgen/reactor), "mixed"
	// when workers differed. ClientModeWhy says why a scenario that asked
	// for the reactor fell back to goroutines.
	ClientMode    string `json:"client_mode,omitempty"`
	ClientModeWhy string `json:"client_mode_why,omitempty"`
}

// HTTP2Params are an HTTP/2 variant's settings.
type HTTP2Params struct {
	Cleartext bool `json:"cleartext"` // h2c with prior knowledge; false: h2 over TLS by ALPN
	// StreamsPerConn clients of one load generator share a connection, as
	// a browser's tabs do; a stream past the server's limit (MaxStreams)
	// waits for a free one instead of opening another connection.
	StreamsPerConn int `json:"streams_per_conn"`
	MaxStreams     int `json:"max_streams"`
}

// TLSParams are a TLS variant's settings.
type TLSParams struct {
	Version string `json:"version"` // "1.3": client and server allow nothing else
	// Resumption: each client keeps a session cache and resumes on
	// reconnect, as browsers do; false: every handshake is full.
	Resumption bool   `json:"resumption"`
	Cert       string `json:"cert"` // the certificate's key type, e.g. "ECDSA P-256"
	ALPN       string `json:"alpn"` // protocol negotiated: http/1.1, h2, or "" (raw frames)
}

// TLSHandshakes are the TLS handshakes the load generator made in the
// window: full and resumed, each timed from TCP connected to the server
// verified (its certificate, or for a resumption its pre-shared key), and
// the CPU each cost on either side (the window's CPU / handshakes: a
// figure for scenarios that do little else, such as churn).
type TLSHandshakes struct {
	Full            int64   `json:"full"`
	Resumed         int64   `json:"resumed"`
	FullTime        Summary `json:"full_time"`
	ResumedTime     Summary `json:"resumed_time"`
	ServerCPUPerUs  float64 `json:"server_cpu_per_handshake_us,omitempty"`
	LoadgenCPUPerUs float64 `json:"loadgen_cpu_per_handshake_us,omitempty"`
}

// ReconnectPolicy is how this record's clients reconnected after a
// disconnect.
type ReconnectPolicy struct {
	Delay   string `json:"delay"`             // first delay, e.g. "100ms"
	Backoff bool   `json:"backoff,omitempty"` // doubled per consecutive failure
	Max     string `json:"max,omitempty"`     // backoff cap
	// HonoursRetry: the client uses the server's SSE retry: field instead
	// of Delay when one arrived.
	HonoursRetry bool `json:"honours_retry,omitempty"`
	// ServerRetry is the retry: the server advertised to SSE clients.
	ServerRetry string `json:"server_retry,omitempty"`
	// SSEDefault: an SSE client's delay until it has seen a retry: field
	// (EventSource's is about 3 s); "" when not set.
	SSEDefault string `json:"sse_default,omitempty"`
}

// Delivery is the message accounting of the measurement window.
type Delivery struct {
	Counts
	Published int64 `json:"published"`
	// FailedClients were held by load-generator workers that died or hung:
	// their counts are missing from the figures (the workers are named in
	// the notes).
	FailedClients   int64 `json:"failed_clients,omitempty"`
	SlowDisconnects int64 `json:"slow_disconnects"` // counted by the server
	// Mismatch, when set, says the counts do not reconcile
	// (Counts.Reconcile): the record cannot be trusted.
	Mismatch string `json:"mismatch,omitempty"`
	// ServerWritten is the server's ledger: the messages its transports
	// wrote to subscribers during the window (replays included), the
	// second witness to the clients' Raw; nil where there is none.
	// Witnesses says which witnesses the counts have, and why only one.
	ServerWritten *int64   `json:"server_written,omitempty"`
	Witnesses     string   `json:"witnesses,omitempty"`
	WindowS       float64  `json:"window_s"`         // publish start to drain end
	DeliveredPerS float64  `json:"delivered_per_s"`  // delivered / window
	OfferedPerS   float64  `json:"offered_per_s"`    // published x clients / publish time
	Errors        []string `json:"errors,omitempty"` // most frequent client errors
}

// Summary condenses a histogram, in microseconds.
type Summary struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_us"`
	P50   int64   `json:"p50_us"`
	P90   int64   `json:"p90_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p999_us"`
	Max   int64   `json:"max_us"`
}

// Summarize condenses h.
func Summarize(h *hdrhistogram.Histogram) Summary {
	if h == nil || h.TotalCount() == 0 {
		return Summary{}
	}
	return Summary{
		Count: h.TotalCount(), Mean: h.Mean(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), Max: h.Max(),
	}
}

// Wire is traffic counted at the client sockets.
type Wire struct {
	BytesIn         int64   `json:"bytes_in"`              // server to clients
	BytesOut        int64   `json:"bytes_out"`             // clients to server
	BytesPerMessage float64 `json:"bytes_per_message"`     // (in+out) / delivered
	BytesPerConnMin float64 `json:"bytes_per_conn_minute"` // (in+out) / clients / minutes
	PollsPerMessage float64 `json:"polls_per_message,omitempty"`
	EmptyPollShare  float64 `json:"empty_poll_share,omitempty"`
}

// Resources is a process's cost over the window.
type Resources struct {
	RSSBytes     int64   `json:"rss_bytes"`      // at the end of the window
	RSSPeakBytes int64   `json:"rss_peak_bytes"` // highest sampled during the window (every 200 ms)
	FDsPeak      int     `json:"fds_peak"`
	RSSPerConn   float64 `json:"rss_per_conn"` // (RSS - RSS before connecting) / clients
	// KernelSlabPerConn is the machine's Slab (/proc/meminfo) growth from
	// before the clients connected to the window's end, per connection:
	// the kernel's memory for the sockets, which no RSS shows. It covers
	// both ends of each connection on one machine (loopback), and anything
	// else the machine allocated meanwhile, so for a server it is an upper
	// bound; 0 when not measured.
	KernelSlabPerConn float64 `json:"kernel_slab_per_conn,omitempty"`
	HeapBytes         int64   `json:"heap_bytes"`    // in-use heap at the end
	HeapPerConn       float64 `json:"heap_per_conn"` // (heap+stacks - before) / clients
	Goroutines        int     `json:"goroutines"`
	GoroutinesPerConn float64 `json:"goroutines_per_conn"`
	FDs               int     `json:"fds"`
	CPUSeconds        float64 `json:"cpu_s"`               // CPU time over the window
	CPUPerMessageUs   float64 `json:"cpu_per_message_us"`  // CPU / delivered
	CPUPerConnSecUs   float64 `json:"cpu_per_conn_s_us"`   // CPU / clients / window seconds
	ConnectS          float64 `json:"connect_s,omitempty"` // time to connect all clients
	// The process's own health over the window (the load generator's, in
	// Record.Loadgen): CPU used as a share of the cores it may use, the
	// cores, GC pauses, and the share of its CPU an in-process proxy took.
	CPUUtilization float64 `json:"cpu_utilization,omitempty"` // 0..1 of Cores
	// CPUPeak is the highest share of Cores used over any 100 ms of the
	// window (the load generator's workers): a burst the mean hides.
	CPUPeak float64 `json:"cpu_peak_100ms,omitempty"`
	// RunWaitShare is the time its threads were runnable but waited for a
	// CPU, as a share of Cores over the window (the kernel's schedstat):
	// CPU it wanted and did not get (its threads waited for one another,
	// or for another process on its cores).
	RunWaitShare float64 `json:"run_wait_share,omitempty"`
	// LoopLagMaxUs is the most a reactor loop of the load generator ran
	// behind its schedule in the window (absent without the reactor): a
	// loop that falls behind delays every read it holds.
	LoopLagMaxUs float64 `json:"loop_lag_max_us,omitempty"`
	// ClientLagMeanUs and ClientLagMaxUs are how long the newest bytes of
	// a read waited in the socket before the load generator read them, by
	// the kernel's receive timestamps (reactor reads on TCP; absent
	// otherwise): the client's time, which the latency of those reads
	// leaves out (their messages are timed at the stamp).
	ClientLagMeanUs float64 `json:"client_lag_mean_us,omitempty"`
	ClientLagMaxUs  float64 `json:"client_lag_max_us,omitempty"`
	// Reads is the reactors' reads in the window and StampedReads those
	// the kernel stamped, whose messages' latency ends at the kernel's
	// receive time rather than at the read (absent for goroutine clients,
	// which time every message when their read returns).
	Reads          int64   `json:"reads,omitempty"`
	StampedReads   int64   `json:"stamped_reads,omitempty"`
	Cores          float64 `json:"cores,omitempty"`
	GCPauses       int64   `json:"gc_pauses,omitempty"`
	GCPauseTotalUs float64 `json:"gc_pause_total_us,omitempty"`
	GCPauseMaxUs   float64 `json:"gc_pause_max_us,omitempty"`
	ProxyCPUShare  float64 `json:"proxy_cpu_share,omitempty"` // of the process's CPU
	Processes      int     `json:"processes,omitempty"`       // processes summed (load-generator workers, server processes)
	Threads        int     `json:"threads,omitempty"`         // a target's threads over its process tree, at the window's end
	// Saturated, when set, says why this process was the bottleneck (for
	// example "load generator at 97% of 1 CPU"): the record's figures then
	// measure pushbench, not the transport.
	Saturated string `json:"saturated,omitempty"`
	// NotMeasured names the figures above that could not be measured, and
	// are then zero without meaning it: "rss" and "cpu" (a server running
	// elsewhere), "heap" and "goroutines" (a server that is not Go or not
	// pushbench's). Tables print "not measured" for them.
	NotMeasured []string `json:"not_measured,omitempty"`
}

// Measured says whether figure ("rss", "cpu", "heap", "goroutines") was
// measured.
func (r Resources) Measured(figure string) bool {
	for _, f := range r.NotMeasured {
		if f == figure {
			return false
		}
	}
	return true
}

// Clients that measure records (Record.Client).
const (
	ClientLoadgen = ""        // pushbench's load generator
	ClientBrowser = "browser" // pages in headless Chromium (loadgen/browser)
)

// BrowserRun is what a browser-measured record adds: the browser, its
// pages and each stream's timeline. Times in Streams are milliseconds of
// the page's clock from the first stream's creation.
type BrowserRun struct {
	Version string `json:"version"` // Chromium's product string
	// Protocol is the HTTP version asked of the target ("http/1.1", "h2");
	// Protocols is what Chromium reported for the target's responses
	// (DevTools Network.responseReceived), Connections the distinct
	// connections they used.
	Protocol      string   `json:"protocol"`
	Protocols     []string `json:"protocols,omitempty"`
	Connections   int      `json:"connections"`
	API           string   `json:"api"` // eventsource, websocket, longpoll, shortpoll
	Tabs          int      `json:"tabs"`
	StreamsPerTab int      `json:"streams_per_tab"`
	Origin        string   `json:"origin"` // where the pages came from
	Target        string   `json:"target"` // the base URL the streams opened
	// Front says what stood between browser and server, when not the
	// server itself (e.g. a TLS front for h2).
	Front string `json:"front,omitempty"`
	// CrossOriginIsolated pages time with 5 µs resolution, others 100 µs.
	CrossOriginIsolated bool `json:"cross_origin_isolated"`
	// The page's clock minus this process's at the start, and half the
	// round trip of that reading: they share the host's clock.
	ClockOffsetUs      float64         `json:"clock_offset_us"`
	ClockUncertaintyUs float64         `json:"clock_uncertainty_us"`
	OpenTimeoutS       float64         `json:"open_timeout_s"`
	OpenedBeforeWindow int             `json:"opened_before_window"` // streams open when publishing started
	Streams            []BrowserStream `json:"streams"`
	Errors             []string        `json:"errors,omitempty"`
}

// BrowserStream is one stream's timeline in the page (milliseconds from
// the session's first creation; -1: never).
type BrowserStream struct {
	Tab            int     `json:"tab"`    // 1-based
	Stream         int     `json:"stream"` // 1-based within its tab, in creation order
	OpenedMs       float64 `json:"opened_ms"`
	FirstMs        float64 `json:"first_ms"` // first message received
	FirstSeq       int64   `json:"first_seq,omitempty"`
	FirstLatencyUs int64   `json:"first_latency_us,omitempty"` // that message's receive time minus its intended send time
	ClosedMs       float64 `json:"closed_ms"`                  // closed once it had everything (or at the end)
	Messages       int64   `json:"messages"`                   // received, duplicates included
	Opens          int     `json:"opens"`
	Errors         int     `json:"errors,omitempty"`
}

// Waited is the streams that opened only after another stream had closed:
// they waited for a connection another stream freed (a browser's limit
// per origin), whatever the timeout that started publishing.
func (b BrowserRun) Waited() []BrowserStream {
	firstClose := -1.0
	for _, s := range b.Streams {
		if s.ClosedMs >= 0 && (firstClose < 0 || s.ClosedMs < firstClose) {
			firstClose = s.ClosedMs
		}
	}
	var out []BrowserStream
	for _, s := range b.Streams {
		if firstClose >= 0 && s.OpenedMs >= firstClose {
			out = append(out, s)
		}
	}
	return out
}

// MaxOpen is the most streams open at once (opened, not yet closed).
func (b BrowserRun) MaxOpen() int {
	most := 0
	for _, s := range b.Streams {
		if s.OpenedMs < 0 {
			continue
		}
		n := 0
		for _, o := range b.Streams {
			if o.OpenedMs >= 0 && o.OpenedMs <= s.OpenedMs && (o.ClosedMs < 0 || o.ClosedMs > s.OpenedMs) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}
