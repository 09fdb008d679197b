// Package browser is pushbench's browser client: headless Chromium
// (Debian's package, never a downloaded browser) driven over the DevTools
// protocol (github.com/chromedp/chromedp). Pages served from an origin of
// their own open EventSource, WebSocket, long-poll or short-poll streams
// against a pushbench server and time every message with the page's clock
// (performance.timeOrigin + performance.now()); what they receive comes back
// to Go in batches (Runtime.evaluate) and goes through the load generator's
// accounting (loadgen.External), so a browser's counts and latencies are
// the same kind of figure as loadgen's.
//
// The browser and pushbench share the host's clock: Launch compares the
// page's clock with time.Now and refuses a skew beyond what one round trip
// explains.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// ErrNoChromium is returned when no Chromium binary is found.
var ErrNoChromium = errors.New("chromium not found: install Debian's package (make system-deps, or apt-get install chromium)")

// Config configures Launch.
type Config struct {
	// Chromium is the browser binary ("": /usr/bin/chromium, else chromium
	// on PATH).
	Chromium string
	// IgnoreCertErrors accepts any certificate: for loopback test servers
	// with a certificate made at start, never for anything else.
	IgnoreCertErrors bool
}

// Browser is one headless Chromium process. Close kills it (and every
// process it started) on every path.
type Browser struct {
	allocCtx context.Context
	cancel   context.CancelFunc
	ctx      context.Context // the browser's first target
	version  string
	pid      int
	profile  string // --user-data-dir, which names all its processes
}

// FindChromium resolves the browser binary.
func FindChromium(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("%w: %v", ErrNoChromium, err)
		}
		return path, nil
	}
	if _, err := os.Stat(DefaultChromium); err == nil {
		return DefaultChromium, nil
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p, nil
	}
	return "", ErrNoChromium
}

// Launch starts headless Chromium with a fresh profile. The flags keep it
// quiet on a closed network (no background networking, component updates,
// sync) and keep hidden tabs' timers unthrottled, so several tabs measure
// alike.
func Launch(ctx context.Context, cfg Config) (*Browser, error) {
	exe, err := FindChromium(cfg.Chromium)
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.DisableGPU, chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
	}
	if cfg.IgnoreCertErrors {
		opts = append(opts, chromedp.IgnoreCertErrors)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	b := &Browser{allocCtx: allocCtx, ctx: bctx}
	b.cancel = func() {
		cancelBrowser()
		cancelAlloc() // kills the process and waits for it; removes the profile
	}
	stop := context.AfterFunc(ctx, b.cancel)
	defer stop()
	ver, err := chromedp.CallBrowser(bctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		b.cancel()
		return nil, fmt.Errorf("failed to start %s: %w", exe, err)
	}
	b.version = ver.Product
	if c := chromedp.FromContext(bctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		b.pid = c.Browser.Process().Pid
		b.profile = profileOf(b.pid)
	}
	return b, nil
}

// profileOf reads the --user-data-dir of process pid.
func profileOf(pid int) string {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return ""
	}
	for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
		if v, ok := bytes.CutPrefix(arg, []byte("--user-data-dir=")); ok {
			return string(v)
		}
	}
	return ""
}

// Version is the browser's product string, e.g. "Chrome/131.0.6778.139".
func (b *Browser) Version() string { return b.version }

// PID is the browser's main process.
func (b *Browser) PID() int { return b.pid }

// Profile is the browser's profile folder; every process of this browser
// names it on its command line (see Leftovers).
func (b *Browser) Profile() string { return b.profile }

// Close kills the browser and waits for it. It may be called more than
// once.
func (b *Browser) Close() { b.cancel() }

// Leftovers lists the processes still running (not zombies) whose command
// line names profile: after Close, none should.
func Leftovers(profile string) []int {
	if profile == "" {
		return nil
	}
	want := []byte("--user-data-dir=" + profile)
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(cmdline, want) {
			continue
		}
		if st, err := os.ReadFile("/proc/" + e.Name() + "/stat"); err == nil {
			if i := bytes.LastIndexByte(st, ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				continue
			}
		}
		out = append(out, pid)
	}
	return out
}

// Clock compares the page's clock with this process's: offset is the
// page's reading minus the midpoint of the Go clock around the call,
// uncertainty half the round trip. Both read the host's clock, so the
// offset should be within the uncertainty plus the page timer's
// resolution.
type Clock struct {
	OffsetUs      float64 `json:"offset_us"`
	UncertaintyUs float64 `json:"uncertainty_us"`
	// DateOffsetUs is the same against Date.now() (millisecond
	// resolution), which the page's timeOrigin clock may drift from.
	DateOffsetUs float64 `json:"date_offset_us"`
}

// Correction is the offset (µs) to take off the page's readings: the
// measured offset where it is larger than its uncertainty, else 0.
func (c Clock) Correction() float64 {
	if math.Abs(c.OffsetUs) > c.UncertaintyUs {
		return c.OffsetUs
	}
	return 0
}

// checkClock reads the page clock of tab ctx against time.Now, keeping the
// tightest of a few tries.
func checkClock(ctx context.Context) (Clock, error) {
	best := Clock{UncertaintyUs: -1}
	for i := 0; i < 5; i++ {
		t1 := time.Now()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`__pb.clock()`))
		if err != nil {
			return Clock{}, err
		}
		t2 := time.Now()
		var v [2]float64
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return Clock{}, fmt.Errorf("page clock %q: %w", s, err)
		}
		mid := float64(t1.UnixNano()+t2.UnixNano()) / 2 / 1e3 // µs
		c := Clock{OffsetUs: v[0]*1e3 - mid, UncertaintyUs: float64(t2.Sub(t1).Microseconds()) / 2, DateOffsetUs: v[1]*1e3 - mid}
		if best.UncertaintyUs < 0 || c.UncertaintyUs < best.UncertaintyUs {
			best = c
		}
	}
	return best, nil
}
