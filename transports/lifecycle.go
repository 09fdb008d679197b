package transports

import (
	"context"
	"net/http"
	"sync"
)

// Lifecycle tracks a server half's connection handlers so Close can end them
// and wait for them. The zero value is not usable; use NewLifecycle. It is
// safe for concurrent use.
type Lifecycle struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// NewLifecycle returns a running lifecycle.
func NewLifecycle() *Lifecycle {
	ctx, cancel := context.WithCancel(context.Background())
	return &Lifecycle{ctx: ctx, cancel: cancel}
}

// Enter registers a handler. It returns a context cancelled by Close and a
// func the handler must call when it ends; ok is false after Close.
func (l *Lifecycle) Enter() (ctx context.Context, done func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, false
	}
	l.wg.Add(1)
	return l.ctx, l.wg.Done, true
}

// Context is cancelled by Close.
func (l *Lifecycle) Context() context.Context { return l.ctx }

// Close cancels every handler's context and waits for all to end.
func (l *Lifecycle) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
}

// HTTPTransport returns an http.Transport for one virtual client: it dials
// only through opts.Dial, uses no proxy, keeps one connection alive and
// bounds the handshake by opts.Timeout. With opts.TLS, https:// is dialled
// through DialTLS (HTTP/1.1 by ALPN).
func HTTPTransport(opts ClientOptions) *http.Transport {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           opts.Dial,
		MaxIdleConns:          1,
		MaxIdleConnsPerHost:   1,
		MaxConnsPerHost:       1,
		IdleConnTimeout:       opts.ReadTimeout,
		ResponseHeaderTimeout: opts.Timeout,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	if opts.TLS != nil {
		tr.DialTLSContext = DialTLS(opts, "http/1.1")
	}
	return tr
}

// SetCORS sets the CORS headers for origin (no-op when origin is "").
func SetCORS(h http.Header, origin string) {
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Headers", "Last-Event-ID, Content-Type")
	h.Set("Access-Control-Expose-Headers", HeadHeader)
}

// HeadHeader is the response header in which HTTP transports report the
// newest sequence number, so a client starting "from now" learns its cursor.
const HeadHeader = "X-Pushbench-Head"

// Bind returns a context that is done when parent is done or the lifecycle
// closes, e.g. a request's context bound to server shutdown. Call cancel
// when finished with it.
func (l *Lifecycle) Bind(parent context.Context) (ctx context.Context, cancel context.CancelFunc) {
	ctx, cancelCtx := context.WithCancel(parent)
	stop := context.AfterFunc(l.ctx, cancelCtx)
	return ctx, func() { stop(); cancelCtx() }
}

// OnDone runs f once ctx is done, like context.AfterFunc, and returns a
// release func that stops f from running or, when f has started, waits
// until it has returned. Call release exactly once, so nothing outlives
// its owner. It costs no goroutine until ctx is done.
func OnDone(ctx context.Context, f func()) (release func()) {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		f()
	})
	return func() {
		if !stop() {
			<-done
		}
	}
}

// AdmitGET does what every HTTP transport does before serving: CORS
// headers, the preflight answer, the method check (GET only) and the
// resume cursor, refused with a 400 naming the problem. Refusals are
// counted in c. ok is false when AdmitGET has answered the request itself.
func AdmitGET(w http.ResponseWriter, r *http.Request, corsOrigin string, c *Counters, cursor func(*http.Request) (int64, error)) (since int64, ok bool) {
	SetCORS(w.Header(), corsOrigin)
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return 0, false
	}
	if r.Method != http.MethodGet {
		c.CountRejected()
		http.Error(w, "method not allowed: use GET", http.StatusMethodNotAllowed)
		return 0, false
	}
	since, err := cursor(r)
	if err != nil {
		c.CountRejected()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return 0, false
	}
	return since, true
}
