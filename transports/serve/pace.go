package serve

import (
	"context"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// pacer sleeps a publisher until its next message is due: on a Timer, with
// a timerfd armed for the same moment so that an idle process wakes then.
//
// Why both: the runtime fires a Timer when its scheduler looks at the
// timers, which a busy process does between goroutines, on time; but a
// process with nothing to run waits in epoll_wait with a timeout in whole
// milliseconds, so there a Timer alone fires up to a millisecond late.
// Measured here (GOMAXPROCS 1, pinned, the process idle): 0.62 ms late at
// the median, 1.0 ms at the 90th percentile. Every message so paced
// carried that into its latency, and a rate of thousands a second went out
// in bursts, one per millisecond tick, which also hid the server's cost
// per message. A timerfd becoming readable ends that epoll_wait at once
// (20-57 us late at the median here); a timerfd alone is no better under
// load, where the scheduler polls the network only when it runs out of
// goroutines. alarm reads the timerfd so it can fire again.
//
// The timerfd costs a syscall and a goroutine's wake-up a message: waits
// under armMin (rates from about 33,000 msg/s, or a publisher running
// late) use the Timer alone. Armed for every wait, it cost a server at its
// limit (rawtcp, 50,000 msg/s to 4 clients) enough to fall behind: p50
// 93-98 us instead of 16-19.
type pacer struct {
	timer *time.Timer
	fd    int
	f     *os.File // nil without a timerfd
	done  chan struct{}
	fired atomic.Int64 // the timerfd's expirations alarm read
}

// armMin is the shortest wait the timerfd is armed for.
const armMin = 30 * time.Microsecond

// newPacer returns a pacer; call close.
func newPacer() *pacer {
	p := &pacer{timer: time.NewTimer(time.Hour), fd: -1}
	p.timer.Stop()
	if fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC); err == nil {
		p.fd, p.f, p.done = fd, os.NewFile(uintptr(fd), "timerfd"), make(chan struct{})
		go p.alarm()
	}
	return p
}

// alarm drains the timerfd's expirations until it is closed.
func (p *pacer) alarm() {
	defer close(p.done)
	var b [8]byte
	for {
		if _, err := p.f.Read(b[:]); err != nil {
			return
		}
		p.fired.Add(1)
	}
}

// until sleeps until due, at once when it has passed; false when ctx ended.
func (p *pacer) until(ctx context.Context, due time.Time) bool {
	d := time.Until(due)
	if d <= 0 {
		return ctx.Err() == nil
	}
	if p.f != nil && d >= armMin {
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
		_ = unix.TimerfdSettime(p.fd, 0, &spec, nil) // without it, the Timer alone
	}
	p.timer.Reset(d)
	select {
	case <-ctx.Done():
		p.timer.Stop()
		return false
	case <-p.timer.C:
		return true
	}
}

// close stops the pacer and its alarm.
func (p *pacer) close() {
	p.timer.Stop()
	if p.f != nil {
		p.f.Close()
		<-p.done
	}
}
