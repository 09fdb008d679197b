package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pushbench/pushbench/scenarios"
	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/serve"
	"github.com/pushbench/pushbench/transports/target"
)

// CheckRow is one finding of a target check: a transport, what was
// checked, whether it held, what was seen and the fix.
type CheckRow struct {
	Transport string `json:"transport"`
	Check     string `json:"check"`
	OK        bool   `json:"ok"`
	Seen      string `json:"seen"`
	Fix       string `json:"fix,omitempty"`
}

// TargetCheck is what CheckTarget found.
type TargetCheck struct {
	Target  string     `json:"target"`
	Version string     `json:"version"`
	Rows    []CheckRow `json:"rows"`
}

// Failed counts the rows that did not hold.
func (c TargetCheck) Failed() int {
	n := 0
	for _, r := range c.Rows {
		if !r.OK {
			n++
		}
	}
	return n
}

// CheckOptions steer CheckTarget.
type CheckOptions struct {
	Dir        string   // where the target's files go (a temp folder when empty)
	Transports []string // the target's transports to check (all when empty)
	Messages   int      // messages published per transport (100)
	CPU        int      // pin the target here (-1: not pinned)
}

// checkRate paces the check's messages: slow enough that a server or
// proxy that batches shows it, fast enough to take about a second.
const checkRate = 100

// checkPollInterval is the check's short-poll interval.
const checkPollInterval = 100 * time.Millisecond

// CheckTarget starts t (or reaches it) and, for each of its transports,
// subscribes one client, publishes Messages messages through its API and
// says what works: something arrives, the message is found in the
// envelope, sent arrives unrounded, every message once and in order,
// messages arrive as they are published (not held and batched), and a
// reconnecting client resumes without loss.
func CheckTarget(ctx context.Context, t scenarios.Target, o CheckOptions) (TargetCheck, error) {
	if t.Serve {
		return TargetCheck{}, errors.New("target " + t.Name + " is pushbench's own server: its transports are checked by its conformance tests (go test ./transports/...)")
	}
	if o.Messages <= 0 {
		o.Messages = 100
	}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "pushbench-check-")
		if err != nil {
			return TargetCheck{}, err
		}
		defer os.RemoveAll(d)
		o.Dir = d
	}
	names := o.Transports
	if len(names) == 0 {
		names = t.Names()
	}
	for _, n := range names {
		if _, ok := t.Transports[n]; !ok {
			return TargetCheck{}, fmt.Errorf("%s is %w %s (it serves %s)", n, errTargetLacks, t.Name, strings.Join(t.Names(), ", "))
		}
	}
	out := TargetCheck{Target: t.Name}
	seq := int64(0)
	for _, n := range names {
		// A fresh server for each transport, as a run starts one: what one
		// transport published is no backlog for the next.
		tp, err := startTarget(ctx, t, filepath.Join(o.Dir, t.Name+"-"+n), o.CPU, 0, 0)
		if err != nil {
			return out, err
		}
		spec, err := tp.relaySpec()
		if err != nil {
			tp.stop()
			return out, err
		}
		out.Version = tp.version
		c := &checker{tp: tp, name: n, spec: spec, messages: o.Messages, seq: &seq}
		out.Rows = append(out.Rows, c.run(ctx)...)
		tp.stop()
	}
	return out, nil
}

// checker checks one transport of a target.
type checker struct {
	tp       *targetProc
	name     string
	spec     serve.RelaySpec
	messages int
	seq      *int64 // the next seq to publish, across transports
}

func (c *checker) row(check string, ok bool, seen, fix string) CheckRow {
	if ok {
		fix = ""
	}
	return CheckRow{Transport: c.name, Check: check, OK: ok, Seen: seen, Fix: fix}
}

// publish sends n messages at checkRate and returns their seqs' sent times.
func (c *checker) publish(ctx context.Context, n int) (map[int64]int64, serve.RelayStats, error) {
	relay := serve.NewRelay(c.spec)
	defer relay.Close()
	sent := map[int64]int64{}
	start := time.Now()
	for i := 0; i < n; i++ {
		due := start.Add(time.Duration(i) * time.Second / checkRate)
		if err := sleepCtx(ctx, time.Until(due)); err != nil {
			return sent, relay.Stats(), err
		}
		*c.seq++
		// Nanosecond digits that a float64 cannot hold: a rounded sent shows.
		at := due.UnixNano() | 0x1F
		sent[*c.seq] = at
		relay.Add(*c.seq, at, serve.Payload(16))
	}
	deadline := time.Now().Add(5 * time.Second)
	for relay.Stats().Pending > 0 && time.Now().Before(deadline) {
		_ = sleepCtx(ctx, 10*time.Millisecond)
	}
	_ = sleepCtx(ctx, 20*time.Millisecond) // the last request's answer
	return sent, relay.Stats(), nil
}

func (c *checker) run(ctx context.Context) []CheckRow {
	ep := c.tp.t.Transports[c.name]
	spec, err := c.tp.clientSpec(c.name, "")
	if err != nil {
		return []CheckRow{c.row("subscribe", false, err.Error(), "")}
	}
	cl, err := target.NewClient(ep, spec.Vars, transports.ClientOptions{PollInterval: checkPollInterval, ReadTimeout: 45 * time.Second})
	if err != nil {
		return []CheckRow{c.row("subscribe", false, err.Error(), "fix the endpoint in the target file")}
	}
	rec := &checkReceiver{connected: make(chan struct{})}
	sub := newSubscription(ctx, cl, -1, rec)
	select {
	case <-rec.connected:
	case err := <-sub.done:
		return []CheckRow{c.row("subscribe", false, fmt.Sprintf("%s: %v", ep.URL, err), "check the URL and that the server serves this transport")}
	case <-time.After(10 * time.Second):
		sub.stop()
		return []CheckRow{c.row("subscribe", false, "not subscribed within 10 s", "check the URL and that the server serves this transport")}
	}
	c.prime(ctx, rec)
	first := c.messages / 2
	sent, pub, err := c.publish(ctx, first)
	if err != nil {
		sub.stop()
		return []CheckRow{c.row("publish", false, err.Error(), "")}
	}
	rec.waitFor(int64(first), 3*time.Second)
	subErr := sub.stop()
	rows := []CheckRow{c.publishRow(pub, first)}
	rows = append(rows, c.arrivalRows(rec, sent, subErr, ep)...)
	if len(rec.seen()) == 0 {
		return rows
	}
	// Resume: publish while disconnected, then reconnect.
	last := rec.last()
	missed, _, err := c.publish(ctx, c.messages-first)
	if err != nil {
		return append(rows, c.row("resume", false, err.Error(), ""))
	}
	rec2 := &checkReceiver{connected: make(chan struct{})}
	sub2 := newSubscription(ctx, cl, last, rec2)
	select {
	case <-rec2.connected:
	case <-time.After(10 * time.Second):
	}
	rec2.waitFor(int64(len(missed)), 3*time.Second)
	_ = sub2.stop()
	return append(rows, c.resumeRow(ep, rec2, missed, last))
}

// prime publishes single messages until one arrives (at most 3, each
// given 2 s), then forgets them: a server may take a subscription some
// time after the client counts itself connected (a long poll's first
// request still on its way), and a message published in between belongs
// to no subscriber. Runs have their warm-up for this; the check has this.
func (c *checker) prime(ctx context.Context, rec *checkReceiver) {
	for i := 0; i < 3; i++ {
		if _, _, err := c.publish(ctx, 1); err != nil {
			break
		}
		if rec.waitFor(1, 2*time.Second) {
			break
		}
	}
	rec.reset()
}

func (c *checker) publishRow(pub serve.RelayStats, n int) CheckRow {
	if pub.Errors > 0 {
		return c.row("publish", false, fmt.Sprintf("%d of %d publish requests failed: %s", pub.Errors, n, pub.ErrorSample),
			"check publish.url, headers (API key) and body; the answer above says what the server refused")
	}
	return c.row("publish", true, fmt.Sprintf("%d requests answered OK", pub.Requests), "")
}

// arrivalRows: something arrived, the message was found, sent was exact,
// every message once and in order, and on time.
func (c *checker) arrivalRows(rec *checkReceiver, sent map[int64]int64, subErr error, ep scenarios.Endpoint) []CheckRow {
	got, skipped, sample := rec.state()
	var rows []CheckRow
	if len(got) == 0 && skipped == 0 {
		why := "nothing arrived"
		if subErr != nil {
			why += " (the subscription ended: " + subErr.Error() + ")"
		}
		return append(rows, c.row("arrival", false, why, "check the subscribe URL and channel; a proxy in front may buffer the stream"))
	}
	if len(got) == 0 {
		return append(rows, c.row("envelope", false,
			fmt.Sprintf("%d documents arrived but none has pushbench's message at %q; one was %s", skipped, ep.Message, excerpt(sample)),
			suggestPointer(sample)))
	}
	rows = append(rows, c.row("envelope", true, fmt.Sprintf("message found at %q in %d documents (%d others skipped)", ep.Message, len(got), skipped), ""))
	rounded, firstRound := 0, ""
	for _, m := range got {
		if want, ok := sent[m.seq]; ok && want != m.sent {
			rounded++
			if firstRound == "" {
				firstRound = fmt.Sprintf("seq %d sent %d arrived as %d", m.seq, want, m.sent)
			}
		}
	}
	if errors.Is(subErr, target.ErrSentFloat) {
		rows = append(rows, c.row("sent exact", false, subErr.Error(), "keep publish.sent \"string\": a server that re-encodes JSON numbers through float64 rounds nanoseconds"))
	} else {
		rows = append(rows, c.row("sent exact", rounded == 0, orText(firstRound, fmt.Sprintf("all %d sent times arrived exact", len(got))),
			"keep publish.sent \"string\": a server that re-encodes JSON numbers through float64 rounds nanoseconds"))
	}
	rows = append(rows, c.orderRow(got, sent))
	return append(rows, c.latencyRow(got))
}

func (c *checker) orderRow(got []checkMsg, sent map[int64]int64) CheckRow {
	seen, dups, reorders, prev := map[int64]bool{}, 0, 0, int64(0)
	for _, m := range got {
		if seen[m.seq] {
			dups++
		}
		if m.seq < prev {
			reorders++
		}
		seen[m.seq], prev = true, max(prev, m.seq)
	}
	missing, earlier := 0, 0
	for s := range sent {
		if !seen[s] {
			missing++
		}
	}
	for s := range seen {
		if _, ok := sent[s]; !ok {
			earlier++
		}
	}
	ok := dups == 0 && reorders == 0 && missing == 0
	extra := ""
	if earlier > 0 {
		extra = fmt.Sprintf(" (and %d published before the client subscribed)", earlier)
	}
	return c.row("once, in order", ok, fmt.Sprintf("%d of %d arrived; %d missing, %d duplicates, %d out of order%s", len(sent)-missing, len(sent), missing, dups, reorders, extra),
		"the server lost, repeated or reordered messages of one channel: check its buffer settings")
}

// latencyRow: messages paced at checkRate on loopback arrive within a few
// milliseconds unless something holds them back and releases them in
// batches (a buffering proxy, a server's flush interval: hundreds of
// milliseconds to seconds). The limit, twenty publish intervals, leaves
// room for a server just started on a busy machine (a cold JVM under a
// parallel test run: p50 75 ms seen) and none for a buffer (TestTargetCheckFindsWhatIsBroken).
func (c *checker) latencyRow(got []checkMsg) CheckRow {
	lat := make([]time.Duration, 0, len(got))
	for _, m := range got {
		lat = append(lat, time.Duration(m.at-m.sent))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p50 := lat[len(lat)/2]
	limit := 20 * time.Second / checkRate // twenty publish intervals
	if c.tp.t.Transports[c.name].Framing == scenarios.FramingShortPoll {
		limit += checkPollInterval // a short poll waits up to its interval
	}
	return c.row("on time", p50 < limit, fmt.Sprintf("p50 %v at %d msg/s", p50.Round(10*time.Microsecond), checkRate),
		fmt.Sprintf("messages arrive over %v late: something batches them (a proxy's buffering: nginx proxy_buffering off or X-Accel-Buffering: no; a server's flush interval)", limit))
}

// resumeRow: after reconnecting with the server's cursor, every message
// published while disconnected arrives once, and none seen before last
// arrives again.
func (c *checker) resumeRow(ep scenarios.Endpoint, rec *checkReceiver, missed map[int64]int64, last int64) CheckRow {
	n, again, seen := 0, 0, map[int64]bool{}
	for _, m := range rec.seen() {
		if _, ok := missed[m.seq]; ok && !seen[m.seq] {
			n++
		} else if m.seq <= last || seen[m.seq] {
			again++
		}
		seen[m.seq] = true
	}
	if ep.Resume.Kind == "" {
		return c.row("resume", true, fmt.Sprintf("none declared: %d of %d messages published while disconnected arrived after reconnecting", n, len(missed)), "")
	}
	seenText := fmt.Sprintf("%d of %d messages published while disconnected arrived after reconnecting", n, len(missed))
	if again > 0 {
		seenText += fmt.Sprintf("; %d arrived again", again)
	}
	return c.row("resume ("+ep.Resume.Kind+")", n == len(missed) && again == 0, seenText,
		"the server ignored the cursor or replayed from before it: check resume in the target file (header names, the cursor's pointer) and the server's message buffer")
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func excerpt(b []byte) string {
	if len(b) > 120 {
		return string(b[:120]) + "..."
	}
	return string(b)
}

// suggestPointer names where pushbench's message is in doc, when it can
// be found: the path to the first object with a "seq" member.
func suggestPointer(doc []byte) string {
	var v any
	if json.Unmarshal(doc, &v) != nil {
		return "the documents are not JSON: pushbench's message must arrive as JSON text (check publish.body)"
	}
	if p, ok := findSeq(v, ""); ok {
		return fmt.Sprintf("set message: %q (pushbench's message is there)", p)
	}
	return "pushbench's message is not in them: check publish.body and the channel"
}

func findSeq(v any, at string) (string, bool) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["seq"]; ok {
			if _, ok := x["sent"]; ok {
				return at, true
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			esc := strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			if p, ok := findSeq(x[k], at+"/"+esc); ok {
				return p, true
			}
		}
	case []any:
		for i, e := range x {
			if p, ok := findSeq(e, fmt.Sprintf("%s/%d", at, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// subscription runs one client's Run until stopped.
type subscription struct {
	cancel context.CancelFunc
	done   chan error
}

func newSubscription(ctx context.Context, cl transports.Client, since int64, r transports.Receiver) *subscription {
	cctx, cancel := context.WithCancel(ctx)
	s := &subscription{cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- cl.Run(cctx, since, r) }()
	return s
}

// stop ends the subscription and returns why it had ended, if it had
// ended by itself.
func (s *subscription) stop() error {
	select {
	case err := <-s.done:
		s.cancel()
		return err
	default:
	}
	s.cancel()
	<-s.done
	return nil
}

type checkMsg struct{ seq, sent, at int64 }

// checkReceiver keeps what one subscription received. Safe for
// concurrent use (the test reads while the client writes).
type checkReceiver struct {
	mu        sync.Mutex
	msgs      []checkMsg
	skipped   int
	sample    []byte
	connected chan struct{}
	once      sync.Once
}

func (r *checkReceiver) Connected() { r.once.Do(func() { close(r.connected) }) }
func (r *checkReceiver) Message(seq, sent int64, _ int) {
	at := time.Now().UnixNano()
	r.mu.Lock()
	r.msgs = append(r.msgs, checkMsg{seq, sent, at})
	r.mu.Unlock()
}
func (r *checkReceiver) Gap(int64, int64) {}
func (r *checkReceiver) Empty()           {}

// Skipped keeps a document without a message (target.Client's observer).
func (r *checkReceiver) Skipped(doc []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped++
	if r.sample == nil || (len(r.sample) < 3 && len(doc) > len(r.sample)) {
		r.sample = append([]byte(nil), doc[:min(len(doc), 4096)]...)
	}
}

// state is what arrived: the messages, the documents skipped and one of
// them.
func (r *checkReceiver) state() (msgs []checkMsg, skipped int, sample []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]checkMsg(nil), r.msgs...), r.skipped, r.sample
}

func (r *checkReceiver) seen() []checkMsg {
	msgs, _, _ := r.state()
	return msgs
}

func (r *checkReceiver) last() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m int64
	for _, x := range r.msgs {
		m = max(m, x.seq)
	}
	return m
}

// waitFor waits until n messages arrived (true) or limit passed.
func (r *checkReceiver) waitFor(n int64, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := int64(len(r.msgs))
		r.mu.Unlock()
		if got >= n {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// reset forgets what arrived so far.
func (r *checkReceiver) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs, r.skipped = r.msgs[:0], 0
}
