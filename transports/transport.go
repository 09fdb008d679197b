// Package transports defines the Transport abstraction every push method
// implements and the registry that names them. A transport only moves
// messages between the server's shared log and a client; the harness times
// and counts them.
package transports

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/pushbench/pushbench/transports/facts"
	"github.com/pushbench/pushbench/transports/msglog"
)

// Transport is one push method: a server half and a client half.
type Transport struct {
	Name    string // registry name, e.g. "websocket"
	Path    string // HTTP path served by pushbench serve; "" for non-HTTP transports
	Library string // libraries used, named in results
	// Push is true for transports that stream to a held connection (and so
	// follow the slow-consumer policy); false for polls.
	Push bool
	// IsolatesSlowConsumers is false when the implementation lets one
	// stalled consumer delay the others (see the transport's doc).
	IsolatesSlowConsumers bool
	// EventSource is true for SSE transports: their clients follow
	// EventSource's reconnect rules (a default delay until the server
	// advertises retry:).
	EventSource bool
	// HonoursRetry is true when the client takes the server's SSE retry:
	// as its reconnect delay (transports.RetryReceiver).
	HonoursRetry bool
	// Upgrades is true for transports that start with an HTTP Upgrade
	// handshake (WebSocket): a proxy must forward it.
	Upgrades bool
	// NoBrowser is true for transports a browser cannot open (raw TCP).
	NoBrowser bool
	// PollInterval is true for clients that poll on an interval
	// (ClientOptions.PollInterval), which results then record.
	PollInterval bool
	// Variants are the variants Register derives from a base transport,
	// each registered as facts.VariantName(Name, variant) with Base and Variant set and the
	// same halves (the harness and serve choose TLS or HTTP/2 from Variant;
	// the halves follow ClientOptions.TLS and HTTP2). nil takes
	// DefaultVariants; an empty slice registers none.
	Variants []string
	// Base is the transport a variant is built on ("sse" for "sse+h2");
	// "" for a base transport. Variant names the variant: "tls" (the same
	// protocol over TLS 1.3), "h2" (HTTP/2 over TLS with ALPN) or "h2c"
	// (HTTP/2 in cleartext). A variant's Name is
	// facts.VariantName(Base, Variant).
	Base      string
	Variant   string
	NewServer func(log *msglog.Log, opts ServerOptions) (Server, error)
	NewClient func(opts ClientOptions) (Client, error)

	// The facts the report and the plots read (Facts puts them in each
	// record), never the name:

	// Floor marks the transport every ratio in the report is taken
	// against (rawtcp); a variant of the floor is not the floor.
	Floor bool
	// Order is the display rank, leanest first (10, 20, ... leave room
	// between); a variant with 0 takes its base's, a base with 0 is shown
	// after the ranked ones.
	Order int
	// Representative: the claims take this transport for its protocol
	// where they compare protocols rather than libraries.
	Representative bool
	// Style is how the plots draw it; a variant with none takes its
	// base's colour and marker with a dash of its own (facts.VariantOf).
	Style Style
	// FramingMinimum is the fewest bytes the protocol needs on the wire
	// to deliver a message of size bytes, as the transport carries it, to
	// one client; nil: the message alone (a variant with nil takes its
	// base's). The report sets the measured bytes against it.
	FramingMinimum func(size int) int
	// RawBinary: a binary payload travels raw (WebSocket binary frames,
	// raw frames) behind wire's binary header; otherwise it is base64 in
	// the JSON message (SSE, polls). facts.Carried sizes either.
	RawBinary bool

	// Stream, when set, lets a reader other than the client (the load
	// generator's reactor) take a held connection after the client's
	// handshake: where the handshake ends and a parser of what follows.
	// Variants have none: their bytes are TLS or HTTP/2.
	Stream *Stream
	// Poll, when set, lets a reader other than the client (the load
	// generator's reactor) run a poll client's requests and answers on a
	// connection it owns. Variants have none.
	Poll *Poll
}

// Family is the base transport's name: Base for a variant, else Name.
func (t Transport) Family() string {
	if t.Base != "" {
		return t.Base
	}
	return t.Name
}

// Server is the server half. HTTP transports serve ServeHTTP at their Path;
// a transport with its own port also implements Listener. Close ends every
// connection and waits for the server's goroutines.
type Server interface {
	http.Handler
	Stats() Stats
	Close() error
}

// Listener is implemented by servers that accept on their own port.
type Listener interface {
	Serve(ctx context.Context, ln net.Listener) error
}

// Client is the client half: one virtual client. Run connects, resumes after
// cursor since (all messages with seq > since; since < 0 means from now),
// and reports what arrives to r until ctx is done or the connection ends.
// It returns the reason the connection ended (nil only when ctx is done).
// Run is called from one goroutine at a time; Receiver methods are called
// from that goroutine.
type Client interface {
	Run(ctx context.Context, since int64, r Receiver) error
}

// Receiver takes what a client receives. Implementations must be cheap: they
// run on the receive path.
type Receiver interface {
	Connected()                               // the handshake completed
	Message(seq, sent int64, payloadSize int) // one message arrived
	Gap(first, last int64)                    // messages first..last are lost (cursor left the ring)
	Empty()                                   // a poll answered with nothing new
}

// RetryReceiver is an optional Receiver extension: SSE clients call Retry
// with the reconnection delay a server advertises with retry:, which a
// WHATWG EventSource honours before reconnecting.
type RetryReceiver interface {
	Retry(d time.Duration)
}

// PollReceiver is an optional Receiver extension: poll clients call Polled
// once per answer received (empty or not), so requests can be counted.
type PollReceiver interface {
	Polled()
}

// Sender is an optional Client extension for transports that carry
// upstream messages on their own connection (WebSocket). Send publishes a
// message to everyone through the server; it may be called from another
// goroutine while Run is active, and fails when no connection is open.
// Clients without it send upstream with HTTP POST /publish.
type Sender interface {
	Send(ctx context.Context, payload string, sent int64) error
}

// ServerOptions configures a server half; zero fields take defaults.
type ServerOptions struct {
	QueueLen      int           // push: backlog in messages before a slow consumer is disconnected (1024)
	QueueBytes    int64         // push: backlog in bytes before a slow consumer is disconnected (64 MiB)
	WriteTimeout  time.Duration // deadline for each write (10s)
	Heartbeat     time.Duration // push: idle keep-alive interval (15s); SSE comment, WebSocket ping, rawtcp empty frame
	HoldTimeout   time.Duration // longpoll: how long a request is held (30s)
	MaxBatch      int           // polls: most messages per answer (1000)
	MaxBatchBytes int64         // polls: most message bytes per answer, past the first message (8 MiB)
	ReadLimit     int64         // largest client frame accepted, bytes (4096)
	Retry         time.Duration // SSE retry: advertised to clients (1s)
	CORSOrigin    string        // Access-Control-Allow-Origin; "" for none
}

// Defaults of the byte bounds in ServerOptions.
const (
	DefaultQueueBytes    = 64 << 20
	DefaultMaxBatchBytes = 8 << 20
)

// WithDefaults returns o with zero fields set to their defaults.
func (o ServerOptions) WithDefaults() ServerOptions {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.QueueLen <= 0 {
		o.QueueLen = 1024
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1000
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4096
	}
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.Heartbeat, 15*time.Second)
	def(&o.HoldTimeout, 30*time.Second)
	def(&o.Retry, time.Second)
	return o
}

// DialFunc opens a connection; the harness passes one that counts bytes and
// picks source addresses.
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// ClientOptions configures a client half; zero fields take defaults.
type ClientOptions struct {
	BaseURL      string        // HTTP transports: server base URL, e.g. http://127.0.0.1:8080
	RawAddr      string        // rawtcp: host:port
	Dial         DialFunc      // nil: a plain net.Dialer
	PollInterval time.Duration // shortpoll: time between polls (1s)
	Timeout      time.Duration // connect/handshake and per-request deadline beyond the hold (10s)
	ReadTimeout  time.Duration // push: a connection silent this long is dead (3 heartbeats: 45s)
	// TLS, when set, makes every connection TLS, verified with it (BaseURL
	// is then https://; rawtcp speaks TLS to RawAddr). Set a
	// ClientSessionCache in it to resume sessions on reconnect, as
	// browsers do; DialTLS fills ServerName and NextProtos in a copy.
	TLS *tls.Config
	// HTTP2 makes HTTP transports speak HTTP/2: over TLS (ALPN h2) with
	// TLS set, else in cleartext with prior knowledge (h2c).
	HTTP2 bool
	// Shared, when set, is the http.Transport HTTP clients send through
	// instead of one of their own: several virtual clients' streams on one
	// HTTP/2 connection, as a browser's tabs share one per origin (see
	// SharedHTTP2). Clients never close it.
	Shared *http.Transport
}

// WithDefaults returns o with zero fields set to their defaults.
func (o ClientOptions) WithDefaults() ClientOptions {
	if o.Dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		o.Dial = d.DialContext
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 45 * time.Second
	}
	return o
}

var (
	regMu    sync.RWMutex
	registry = map[string]Transport{}
)

// The variants a base transport can have (facts' names).
const (
	VariantTLS = facts.VariantTLS // the same protocol over TLS 1.3
	VariantH2  = facts.VariantH2  // HTTP/2 over TLS, negotiated with ALPN
	VariantH2C = facts.VariantH2C // HTTP/2 in cleartext, with prior knowledge
)

// DefaultVariants are the variants of t when its descriptor names none:
// every transport has a TLS variant; those made of plain HTTP requests
// (not an Upgrade: gorilla has no WebSocket over HTTP/2, RFC 8441) have h2
// and h2c too.
func DefaultVariants(t Transport) []string {
	if t.Path != "" && !t.Upgrades { // plain HTTP requests: HTTP/2 too
		return []string{VariantTLS, VariantH2, VariantH2C}
	}
	return []string{VariantTLS}
}

// HTTP2 says whether t speaks HTTP/2.
func (t Transport) HTTP2() bool { return t.Variant == VariantH2 || t.Variant == VariantH2C }

// TLS says whether t's connections are TLS.
func (t Transport) TLS() bool { return t.Variant == VariantTLS || t.Variant == VariantH2 }

// Register adds t and the variants its descriptor derives (see
// Transport.Variants) to the registry; it panics on a duplicate name or an
// unknown variant (programming errors found at init).
func Register(t Transport) {
	regMu.Lock()
	defer regMu.Unlock()
	add := func(t Transport) {
		if _, dup := registry[t.Name]; dup {
			panic("transports: duplicate registration of " + t.Name)
		}
		registry[t.Name] = t
	}
	variants := t.Variants
	if variants == nil && t.Base == "" {
		variants = DefaultVariants(t)
	}
	t.Variants = variants
	add(t)
	for _, v := range variants {
		switch v {
		case VariantTLS, VariantH2, VariantH2C:
		default:
			panic("transports: unknown variant " + v + " of " + t.Name)
		}
		d := t
		d.Name, d.Base, d.Variant, d.Variants = facts.VariantName(t.Name, v), t.Name, v, []string{}
		// Its look derives from the base's (same colour and marker, a
		// dash of the variant's own: Transport.Facts), so plots tell
		// the variants apart.
		d.Style = Style{}
		d.Floor = false // one floor: the plaintext base
		d.Stream = nil  // the parser reads plaintext HTTP/1.1 or TCP
		d.Poll = nil    // the poller speaks plaintext HTTP/1.1
		add(d)
	}
}

// Lookup returns the transport with the given name, or an *UnknownError
// listing the registered names.
func Lookup(name string) (Transport, error) {
	regMu.RLock()
	defer regMu.RUnlock()
	t, ok := registry[name]
	if !ok {
		return Transport{}, &UnknownError{Name: name, Known: namesLocked()}
	}
	return t, nil
}

// UnknownError is Lookup's error for a name no transport is registered
// under: Known lists the names that are.
type UnknownError struct {
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("unknown transport %q (known: %v)", e.Name, e.Known)
}

// All returns every registered transport, sorted by name.
func All() []Transport {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Transport, 0, len(registry))
	for _, n := range namesLocked() {
		out = append(out, registry[n])
	}
	return out
}

// Bases returns the base transports (no variants), sorted by name: what a
// run measures and serve serves when given no list.
func Bases() []Transport {
	var out []Transport
	for _, t := range All() {
		if t.Base == "" {
			out = append(out, t)
		}
	}
	return out
}

func namesLocked() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ServerFrom adapts a constructor of a concrete server type to
// Transport.NewServer: on an error the Server is nil, never an interface
// holding a nil pointer.
func ServerFrom[S Server](f func(*msglog.Log, ServerOptions) (S, error)) func(*msglog.Log, ServerOptions) (Server, error) {
	return func(log *msglog.Log, opts ServerOptions) (Server, error) {
		s, err := f(log, opts)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// ClientFrom adapts a constructor of a concrete client type to
// Transport.NewClient, as ServerFrom does for servers.
func ClientFrom[C Client](f func(ClientOptions) (C, error)) func(ClientOptions) (Client, error) {
	return func(opts ClientOptions) (Client, error) {
		c, err := f(opts)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}
