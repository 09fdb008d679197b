package harness

import (
	"context"
	"fmt"

	"github.com/pushbench/pushbench/results"
	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports/serve"
)

// workload is what a step's servers and clients do around its window. It
// is chosen once per step from the scenario's kind (and fault), so the step
// itself is the same for every kind: connect, warm up, open the window,
// measure, drain, read.
type workload interface {
	// warmUp runs the traffic before the window, which is not measured.
	warmUp(ctx context.Context) error
	// measure runs the window's traffic: the messages it publishes are the
	// seqs after base. restarted says the server's processes were replaced
	// (their CPU counts from their start).
	measure(ctx context.Context, base int64, rec *results.Record) (published int64, restarted bool, err error)
	// drains says whether the clients must then catch up with the last seq.
	drains() bool
}

func (r *Runner) workloadFor(sc scenarios.Scenario, st scenarios.Step, srv *servers, fl *fleet) workload {
	switch {
	case sc.Kind == scenarios.Idle:
		return idleLoad{sc}
	case sc.Kind == scenarios.Chat:
		return chatLoad{sc, st, srv, fl}
	case sc.Fault != nil && sc.Fault.Type == scenarios.FaultRestart:
		return restartLoad{publishLoad{r, sc, st, srv}}
	default:
		return publishLoad{r, sc, st, srv}
	}
}

// idleLoad: connected clients, nothing published; heartbeats and polls only.
type idleLoad struct{ sc scenarios.Scenario }

func (w idleLoad) warmUp(ctx context.Context) error { return sleepCtx(ctx, w.sc.Warmup.Duration) }
func (w idleLoad) measure(ctx context.Context, _ int64, _ *results.Record) (int64, bool, error) {
	return 0, false, sleepCtx(ctx, w.sc.Duration.Duration)
}
func (idleLoad) drains() bool { return false }

// publishLoad: the server publishes the scenario's schedule open-loop.
type publishLoad struct {
	r   *Runner
	sc  scenarios.Scenario
	st  scenarios.Step
	srv *servers
}

func (w publishLoad) warmUp(ctx context.Context) error {
	if w.sc.Warmup.Duration <= 0 {
		return nil
	}
	_, _, err := w.r.publish(ctx, w.srv, w.sc, w.st, w.sc.Warmup.Duration)
	return err
}

func (w publishLoad) measure(ctx context.Context, _ int64, _ *results.Record) (int64, bool, error) {
	first, last, err := w.r.publish(ctx, w.srv, w.sc, w.st, w.sc.Duration.Duration)
	if err != nil || first == 0 {
		return 0, false, err
	}
	return last - first + 1, false, nil
}

func (publishLoad) drains() bool { return true }

// restartLoad publishes like publishLoad, killing and restarting the server
// every fault interval.
type restartLoad struct{ publishLoad }

func (w restartLoad) measure(ctx context.Context, _ int64, rec *results.Record) (int64, bool, error) {
	n, restarted, err := w.r.publishWithRestarts(ctx, w.srv, w.sc, w.st, w.sc.Fault.Every.Duration)
	if err != nil {
		return n, restarted > 0, err
	}
	rec.Notes = append(rec.Notes, fmt.Sprintf("server killed and restarted %d times: its CPU covers every process that served in the window (each killed one read just before its kill), its memory figures the last process only", restarted))
	return n, restarted > 0, nil
}

// chatLoad: every client sends upstream; the room receives everything.
type chatLoad struct {
	sc  scenarios.Scenario
	st  scenarios.Step
	srv *servers
	fl  *fleet
}

func (w chatLoad) warmUp(ctx context.Context) error {
	if _, _, err := w.fl.StartSending(ctx, w.st.Rate, serve.Payload(w.st.Payload), w.sc.Warmup.Duration); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}

func (w chatLoad) measure(ctx context.Context, base int64, rec *results.Record) (int64, bool, error) {
	_, failed, err := w.fl.StartSending(ctx, w.st.Rate, serve.Payload(w.st.Payload), w.sc.Duration.Duration)
	if err != nil {
		return 0, false, fmt.Errorf("upstream: %w", err)
	}
	now, _, err := w.srv.status(ctx, false)
	if err != nil {
		return 0, false, fmt.Errorf("status: %w", err)
	}
	if failed > 0 {
		rec.Notes = append(rec.Notes, fmt.Sprintf("%d upstream sends failed", failed))
	}
	return now.Head - base, false, nil
}

func (chatLoad) drains() bool { return true }
