package browser

import (
	"context"
	"fmt"
	"time"

	"github.com/pushbench/pushbench/loadgen"
	"github.com/pushbench/pushbench/results"
)

// Measurement is one browser window: what the server side does around it
// is the caller's (the harness, or a test), through these functions.
type Measurement struct {
	Plan Plan
	// Protocol is the HTTP version the target is expected to speak
	// ("http/1.1" or "h2"), recorded as asked.
	Protocol string
	// OpenTimeout is how long to wait for every stream to open before the
	// window (2s): a stream still waiting then is measured waiting.
	OpenTimeout time.Duration
	// WarmUp runs after the streams are created, before the window
	// (optional): traffic that is not measured.
	WarmUp func(ctx context.Context) error
	// Head is the server's newest seq: the window counts what follows.
	Head func(ctx context.Context) (int64, error)
	// Publish publishes the window's messages and returns the first and
	// last seq (0, 0 when none).
	Publish func(ctx context.Context) (first, last int64, err error)
	// Limit bounds the window's seqs (loadgen.Generator.StartWindow).
	Limit int64
	// Drain is how long the streams may take to have every message after
	// publishing ends (10s); arrivals in the Grace after it are late (1s).
	Drain, Grace time.Duration
}

// Outcome is what a measurement produced.
type Outcome struct {
	Window    loadgen.Window
	Published int64
	Elapsed   time.Duration // publish start to drain end
	Browser   results.BrowserRun
	Notes     []string
}

// Measure opens the plan's streams in b through sess, measures one window
// and closes the streams. Each stream closes once it has the window's last
// message, which frees its connection for a stream still waiting (over
// HTTP/1.1 past six per origin): so every stream gets every message, and
// how long the waiting ones waited is in their timelines.
func Measure(ctx context.Context, b *Browser, sess *Session, m Measurement) (Outcome, error) {
	var out Outcome
	if m.OpenTimeout <= 0 {
		m.OpenTimeout = 2 * time.Second
	}
	if m.Drain <= 0 {
		m.Drain = 10 * time.Second
	}
	if m.Grace <= 0 {
		m.Grace = time.Second
	}
	gen := loadgen.New(loadgen.Config{Transport: m.Plan.Transport, Since: m.Plan.Since})
	defer gen.Close()
	if err := sess.Open(ctx, b, m.Plan, gen); err != nil {
		return out, err
	}
	defer sess.Stop(context.Background())
	if m.WarmUp != nil {
		if err := m.WarmUp(ctx); err != nil {
			return out, fmt.Errorf("warm-up: %w", err)
		}
	}
	opened, err := sess.WaitOpen(ctx, m.OpenTimeout)
	if err != nil {
		return out, fmt.Errorf("open: %w", err)
	}
	total := m.Plan.Tabs * m.Plan.Streams
	if opened < total {
		out.Notes = append(out.Notes, fmt.Sprintf("%d of %d streams had opened after %v when publishing started", opened, total, m.OpenTimeout))
	}
	head, err := m.Head(ctx)
	if err != nil {
		return out, fmt.Errorf("head: %w", err)
	}
	if err := sess.Sync(); err != nil {
		return out, err
	}
	gen.StartWindow(head, m.Limit)
	t0 := time.Now()
	first, last, err := m.Publish(ctx)
	if err != nil {
		return out, fmt.Errorf("publish: %w", err)
	}
	if first > 0 {
		out.Published = last - first + 1
		if err := sess.Finish(ctx, last); err != nil {
			return out, fmt.Errorf("finish: %w", err)
		}
		if err := drain(ctx, sess, gen, last, m.Drain, m.Grace, &out); err != nil {
			return out, err
		}
	}
	out.Elapsed = time.Since(t0)
	if err := sess.Stop(ctx); err != nil {
		return out, fmt.Errorf("stop: %w", err)
	}
	out.Window = gen.Window(out.Published)
	out.Browser = sess.Result()
	out.Browser.Version, out.Browser.Protocol = b.Version(), m.Protocol
	out.Browser.OpenTimeoutS, out.Browser.OpenedBeforeWindow = m.OpenTimeout.Seconds(), opened
	return out, nil
}

// drain waits for every stream's cursor to reach last; past d, arrivals
// are marked late for grace more.
func drain(ctx context.Context, sess *Session, gen *loadgen.Generator, last int64, d, grace time.Duration, out *Outcome) error {
	dctx, cancel := context.WithTimeout(ctx, d)
	err := gen.WaitCursors(dctx, last)
	cancel()
	if err == nil {
		return sess.Sync()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	gen.MarkLate(time.Now())
	gctx, cancel := context.WithTimeout(ctx, grace)
	gerr := gen.WaitCursors(gctx, last)
	cancel()
	out.Notes = append(out.Notes, fmt.Sprintf("not every stream had every message within the %v drain (%v); arrivals in the next %v are late", d, err, grace))
	if gerr != nil {
		out.Notes = append(out.Notes, "after the grace: "+gerr.Error())
	}
	return sess.Sync()
}
