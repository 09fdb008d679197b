package harness

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// progress reports what a run is doing: on a terminal a status line redrawn
// twice a second (phase, clients connected, messages/s, p99 so far); when
// not a terminal (CI), one plain line per phase. Safe for concurrent use.
type progress struct {
	w        io.Writer
	terminal bool
	label    string
	mu       sync.Mutex
	live     *fleet
	current  string
	done     chan struct{}
	wg       sync.WaitGroup
}

func newProgress(w io.Writer, terminal bool, label string) *progress {
	p := &progress{w: w, terminal: terminal, label: label, done: make(chan struct{})}
	if terminal {
		p.wg.Add(1)
		go p.redraw()
	}
	return p
}

func (p *progress) phase(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = s
	if !p.terminal {
		fmt.Fprintf(p.w, "%s %s: %s\n", time.Now().Format("15:04:05"), p.label, s)
	}
}

func (p *progress) logf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, "%s %s: %s\n", time.Now().Format("15:04:05"), p.label, fmt.Sprintf(format, args...))
}

func (p *progress) redraw() {
	defer p.wg.Done()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastDelivered int64
	last := time.Now()
	for {
		select {
		case <-p.done:
			p.mu.Lock()
			fmt.Fprint(p.w, "\r\033[K")
			p.mu.Unlock()
			return
		case now := <-tick.C:
			p.mu.Lock()
			line := fmt.Sprintf("%s: %s", p.label, p.current)
			f := p.live
			p.mu.Unlock()
			if f != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
				st, err := f.peek(ctx)
				cancel()
				if err == nil {
					d := st.Delivered
					rate := float64(d-lastDelivered) / now.Sub(last).Seconds()
					if d < lastDelivered {
						rate = 0
					}
					lastDelivered, last = d, now
					line += fmt.Sprintf(" | %d/%d connected | %.0f msg/s | p99 %s", st.Connected, st.Clients, rate, us(st.P99Us))
				}
			}
			p.mu.Lock()
			fmt.Fprintf(p.w, "\r\033[K%s", line)
			p.mu.Unlock()
		}
	}
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}
