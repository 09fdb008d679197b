package poll_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pushbench/pushbench/transports"
	"github.com/pushbench/pushbench/transports/internal/streamtest"
	"github.com/pushbench/pushbench/transports/wire"
)

// events records what a client or a poller reported, in order.
type events struct{ got []string }

func (e *events) Connected()            { e.got = append(e.got, "connected") }
func (e *events) Polled()               { e.got = append(e.got, "polled") }
func (e *events) Empty()                { e.got = append(e.got, "empty") }
func (e *events) Retry(d time.Duration) { e.got = append(e.got, fmt.Sprint("R ", d)) }
func (e *events) Gap(first, last int64) { e.got = append(e.got, fmt.Sprint("G ", first, last)) }
func (e *events) Message(seq, sent int64, size int) {
	e.got = append(e.got, fmt.Sprint("M ", seq, sent, size))
}

// scripted answers each request on one connection with the next answer,
// recording the requests; past the last it closes the connection.
func scripted(t *testing.T, answers [][]byte) (dial transports.DialFunc, requests func() []string, wait func()) {
	cli, srv := net.Pipe()
	var reqs []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer srv.Close()
		br := bufio.NewReader(srv)
		for _, a := range answers {
			var req []byte
			for !bytes.HasSuffix(req, []byte("\r\n\r\n")) {
				line, err := br.ReadBytes('\n')
				if err != nil {
					return
				}
				req = append(req, line...)
			}
			reqs = append(reqs, string(req))
			if _, err := srv.Write(a); err != nil {
				return
			}
		}
	}()
	used := false
	dial = func(context.Context, string, string) (net.Conn, error) {
		if used {
			return nil, errors.New("script over")
		}
		used = true
		return cli, nil
	}
	return dial, func() []string { <-done; return reqs }, func() { <-done }
}

func okAnswer(head int64, body string, chunks ...int) []byte {
	h := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pushbench-Head: %d\r\n", head)
	if len(chunks) == 0 {
		return fmt.Appendf(nil, "%sContent-Length: %d\r\n\r\n%s", h, len(body), body)
	}
	b := []byte(h + "Transfer-Encoding: chunked\r\n\r\n")
	for len(body) > 0 {
		n := len(body)
		if len(chunks) > 0 {
			n, chunks = min(chunks[0], n), chunks[1:]
		}
		b = fmt.Appendf(b, "%x;ext=1\r\n%s\r\n", n, body[:n])
		body = body[n:]
	}
	return append(b, "0\r\nX-Trailer: 1\r\n\r\n"...)
}

func msgs(seqs ...int64) string {
	var parts []string
	for _, s := range seqs {
		parts = append(parts, string(streamtest.MsgJSON(s, strings.Repeat("p", int(s)))))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// reference runs the transport's own client over the scripted answers.
func reference(t *testing.T, name string, since int64, answers [][]byte) (ev *events, reqs []string, err error) {
	tr, _ := transports.Lookup(name)
	dial, requests, _ := scripted(t, answers)
	c, cerr := tr.NewClient(transports.ClientOptions{BaseURL: "http://127.0.0.1:9/x", Dial: dial, PollInterval: time.Millisecond, Timeout: 5 * time.Second, ReadTimeout: 5 * time.Second})
	if cerr != nil {
		t.Fatal(cerr)
	}
	ev = &events{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = c.Run(ctx, since, ev)
	return ev, requests(), err
}

// viaPoller gives the poller the same answers, each in the given pieces.
func viaPoller(t *testing.T, name string, since int64, answers [][]byte, split func([]byte) [][]byte) (*events, []string, error) {
	tr, _ := transports.Lookup(name)
	p, err := tr.Poll.NewPoller(transports.ClientOptions{BaseURL: "http://127.0.0.1:9/x", PollInterval: time.Millisecond}, since)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	e := &transports.PollEnv{Sink: ev}
	var reqs []string
	for i, a := range answers {
		reqs = append(reqs, string(p.Request(nil, e)))
		done := false
		for _, piece := range split(a) {
			if done {
				t.Fatalf("answer %d: done before its end", i)
			}
			if done, err = p.Feed(piece, e); err != nil {
				return ev, reqs, err
			}
		}
		if !done {
			t.Fatalf("answer %d: not done at its end", i)
		}
		if !p.KeepAlive() {
			return ev, reqs, nil
		}
	}
	return ev, reqs, nil
}

func splits(a []byte) map[string]func([]byte) [][]byte {
	m := map[string]func([]byte) [][]byte{"whole": func(b []byte) [][]byte { return [][]byte{b} }}
	m["bytewise"] = func(b []byte) [][]byte {
		var out [][]byte
		for i := range b {
			out = append(out, b[i:i+1])
		}
		return out
	}
	return m
}

func TestPollerMatchesClient(t *testing.T) {
	gap := string(wire.AppendGapJSON(nil, 4, 6))
	scripts := map[string]struct {
		since   int64
		answers [][]byte
	}{
		"sized":       {0, [][]byte{okAnswer(3, msgs(1, 2, 3)), okAnswer(3, "[]"), okAnswer(9, "["+gap+","+msgs(7, 8, 9)[1:])}},
		"chunked":     {2, [][]byte{okAnswer(5, msgs(3, 4, 5), 7, 1, 40), okAnswer(5, " [ ]\n", 1)}},
		"from now":    {-1, [][]byte{okAnswer(7, "[]"), okAnswer(8, msgs(8))}},
		"status":      {0, [][]byte{okAnswer(1, msgs(1)), []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 6\r\n\r\nbusy\r\n")}},
		"not array":   {0, [][]byte{okAnswer(2, msgs(1, 2)[:40]+"x]")}},
		"conn close":  {0, [][]byte{[]byte("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]")}},
		"http/1.0":    {0, [][]byte{[]byte("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n[]"), okAnswer(1, msgs(1))}},
		"bad decode":  {0, [][]byte{okAnswer(2, `[{"seq":"x"}]`)}},
		"chunk error": {0, [][]byte{[]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]xx")}},
	}
	for _, name := range []string{"longpoll", "shortpoll"} {
		for what, sc := range scripts {
			want, wantReqs, wantErr := reference(t, name, sc.since, sc.answers)
			for _, a := range sc.answers {
				for i := 0; i <= len(a); i++ {
					at := i
					got, gotReqs, err := viaPoller(t, name, sc.since, sc.answers, func(b []byte) [][]byte {
						if !bytes.Equal(b, a) || at == 0 || at == len(b) {
							return [][]byte{b}
						}
						return [][]byte{b[:at], b[at:]}
					})
					compare(t, fmt.Sprintf("%s %s split at %d", name, what, i), want, got, wantReqs, gotReqs, wantErr, err)
				}
			}
			for how, split := range splits(nil) {
				got, gotReqs, err := viaPoller(t, name, sc.since, sc.answers, split)
				compare(t, name+" "+what+" "+how, want, got, wantReqs, gotReqs, wantErr, err)
			}
		}
	}
}

// compare checks the poller's reports, requests and error against the
// client's (the client also sent the request that found the script over).
func compare(t *testing.T, how string, want, got *events, wantReqs, gotReqs []string, wantErr, err error) {
	t.Helper()
	if strings.Join(got.got, "|") != strings.Join(want.got, "|") {
		t.Fatalf("%s: poller reported\n %q\nclient\n %q", how, got.got, want.got)
	}
	if len(wantReqs) < len(gotReqs) || strings.Join(wantReqs[:len(gotReqs)], "") != strings.Join(gotReqs, "") {
		t.Fatalf("%s: poller requests\n %q\nclient\n %q", how, gotReqs, wantReqs)
	}
	if (err == nil) != (wantErr == nil || strings.Contains(wantErr.Error(), "script over")) || (err != nil && !strings.Contains(wantErr.Error(), err.Error())) {
		t.Fatalf("%s: poller error %v, client %v", how, err, wantErr)
	}
}

// discard counts what a poller reports, for the allocation test and the
// benchmark.
type discard struct{ messages, polls int }

func (d *discard) Connected()                {}
func (d *discard) Polled()                   { d.polls++ }
func (d *discard) Empty()                    {}
func (d *discard) Retry(time.Duration)       {}
func (d *discard) Gap(int64, int64)          {}
func (d *discard) Message(int64, int64, int) { d.messages++ }

// cycle returns a long poller and one request-and-answer round of it: an
// answer of n messages of 100 bytes, sized or chunked.
func cycle(t testing.TB, n int, chunked bool) (round func(), sink *discard, size int) {
	tr, _ := transports.Lookup("longpoll")
	p, err := tr.Poll.NewPoller(transports.ClientOptions{BaseURL: "http://127.0.0.1:9"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for i := 1; i <= n; i++ {
		parts = append(parts, string(streamtest.MsgJSON(int64(i), strings.Repeat("x", 100))))
	}
	body := "[" + strings.Join(parts, ",") + "]"
	a := okAnswer(int64(n), body)
	if chunked {
		a = okAnswer(int64(n), body, 4096)
	}
	sink = &discard{}
	e := &transports.PollEnv{Sink: sink}
	req := make([]byte, 0, 256)
	return func() {
		req = p.Request(req[:0], e)
		if done, err := p.Feed(a, e); err != nil || !done {
			t.Fatalf("answer: done %v, %v", done, err)
		}
	}, sink, len(a)
}

// TestPollerAllocatesNothingPerMessage: a request and its whole answer,
// sized or chunked, cost no allocation (the head and objects are read in
// place).
func TestPollerAllocatesNothingPerMessage(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		round, sink, _ := cycle(t, 20, chunked)
		allocs := testing.AllocsPerRun(50, round)
		if allocs != 0 || sink.messages != 51*20 || sink.polls != 51 {
			t.Errorf("chunked %v: %v allocations a round, %d messages and %d answers (want 0, %d, 51)", chunked, allocs, sink.messages, sink.polls, 51*20)
		}
	}
}

func BenchmarkPoller(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("messages=%d", n), func(b *testing.B) {
			round, sink, size := cycle(b, n, false)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				round()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sink.messages), "ns/msg")
		})
	}
}

// FuzzPollerBody checks the poller against the client on arbitrary answer
// bodies, sized or chunked, each split at every byte boundary (`make
// fuzz` runs it): the same reports, and an error where the client has one.
func FuzzPollerBody(f *testing.F) {
	f.Add(uint8(0), []byte(msgs(1, 2)))
	f.Add(uint8(3), []byte("["+string(wire.AppendGapJSON(nil, 1, 4))+" ,"+msgs(5)[1:]))
	f.Add(uint8(1), []byte(`[{"seq":1,"sent":2,"payload":"a\"}]"}]`))
	f.Add(uint8(2), []byte(`[{"seq":1}] x`))
	f.Fuzz(func(t *testing.T, chunk uint8, body []byte) {
		a := okAnswer(9, string(body))
		if chunk > 0 {
			if len(body) == 0 {
				return // an empty chunked body is the last chunk alone: not this test's
			}
			a = okAnswer(9, string(body), int(chunk))
		}
		answers := [][]byte{a}
		want, wantReqs, wantErr := reference(t, "longpoll", 0, answers)
		for i := 0; i <= len(a); i++ {
			got, gotReqs, err := viaPoller(t, "longpoll", 0, answers, func(b []byte) [][]byte {
				if i == 0 || i == len(b) {
					return [][]byte{b}
				}
				return [][]byte{b[:i], b[i:]}
			})
			compare(t, fmt.Sprintf("split at %d of %q", i, a), want, got, wantReqs, gotReqs, wantErr, err)
		}
	})
}

// TestPollerReadsABodyToTheConnectionsEnd: an answer with neither a length
// nor chunking ends with the connection; its messages, Polled and the
// replacement of the connection follow, and the next request carries the
// cursor on. A cut sized answer is an error.
func TestPollerReadsABodyToTheConnectionsEnd(t *testing.T) {
	tr, _ := transports.Lookup("longpoll")
	p, err := tr.Poll.NewPoller(transports.ClientOptions{BaseURL: "http://127.0.0.1:9"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	e := &transports.PollEnv{Sink: ev}
	p.Request(nil, e)
	if done, err := p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"+msgs(1, 2)), e); done || err != nil {
		t.Fatalf("done %v, %v before the connection's end", done, err)
	}
	if err := p.End(io.EOF, e); !errors.Is(err, transports.ErrPollReconnect) {
		t.Errorf("End: %v, want ErrPollReconnect", err)
	}
	if got := strings.Join(ev.got, "|"); got != "connected|M 1 1001 1|M 2 1002 2|polled" {
		t.Errorf("reported %q", got)
	}
	if req := string(p.Request(nil, e)); !strings.HasPrefix(req, "GET /longpoll?since=2 HTTP/1.1\r\n") {
		t.Errorf("next request %q, want the cursor after 2", req)
	}
	if _, err := p.Feed([]byte("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n[{"), e); err != nil {
		t.Fatal(err)
	}
	if err := p.End(io.EOF, e); err == nil || errors.Is(err, transports.ErrPollReconnect) || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Errorf("cut answer: %v, want an unexpected EOF", err)
	}
}
