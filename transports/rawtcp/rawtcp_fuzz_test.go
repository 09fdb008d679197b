package rawtcp

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// FuzzHandshake: any 9 bytes either give the cursor they encode (from
// now: flag 0 with cursor 0; resume: flag 1 with a non-negative cursor)
// or an error of bounded length, never a panic.
func FuzzHandshake(f *testing.F) {
	f.Add([]byte{FlagFromNow, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{FlagResume, 0, 0, 0, 0, 0, 0, 0, 7})
	f.Add([]byte{FlagResume, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{FlagResume, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{FlagFromNow, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != HandshakeSize {
			return
		}
		var hs [HandshakeSize]byte
		copy(hs[:], b)
		got, err := parseHandshake(hs)
		raw := binary.BigEndian.Uint64(hs[1:])
		switch {
		case hs[0] == FlagFromNow && raw == 0:
			if err != nil || got != -1 {
				t.Fatalf("from now: %d, %v", got, err)
			}
		case hs[0] == FlagResume && raw <= math.MaxInt64:
			if err != nil || got != int64(raw) {
				t.Fatalf("resume %d: %d, %v", raw, got, err)
			}
		default:
			if err == nil {
				t.Fatalf("handshake %x accepted as %d", hs, got)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("error of %d bytes: %v", len(err.Error()), err)
			}
		}
	})
}

// FuzzFrames: the frame reader takes back exactly the frames written
// (bodies of any size up to the limit) and then reports the stream's
// damaged tail as an error, never a panic, and its buffer never grows
// past what was received (a header claiming 100 MiB once allocated it).
func FuzzFrames(f *testing.F) {
	f.Add([]byte("abc"), []byte(""), []byte{0, 0, 0, 9, 'x'})
	f.Add([]byte(`{"seq":1,"sent":2,"payload":"x"}`), []byte(`{"type":"gap","first":1,"last":2}`), []byte{0xff, 0xff, 0xff, 0xff})
	f.Add(bytes.Repeat([]byte("z"), 5000), []byte("e"), []byte{})
	f.Add([]byte("a"), []byte("b"), []byte{0x06, 0x3f, 0xff, 0xff, 'x'}) // claims ~100 MiB, sends 1 byte
	f.Fuzz(func(t *testing.T, a, b, tail []byte) {
		var stream []byte
		for _, body := range [][]byte{a, b} {
			stream = binary.BigEndian.AppendUint32(stream, uint32(len(body)))
			stream = append(stream, body...)
		}
		stream = append(stream, tail...)
		var fr frameReader
		fr.reset(bytes.NewReader(stream))
		for i, want := range [][]byte{a, b} {
			got, err := fr.next()
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("frame %d: %q, %v; want %q", i, got, err, want)
			}
		}
		// What follows is arbitrary: whole frames, then an error.
		for n := 0; n < len(tail)+1; n++ {
			body, err := fr.next()
			if cap(fr.body) > max(2*len(stream), 64<<10) {
				t.Fatalf("read buffer of %d bytes after %d bytes received", cap(fr.body), len(stream))
			}
			if err != nil {
				return
			}
			if len(body) > MaxFrameSize {
				t.Fatalf("frame of %d bytes, buffer %d: more than the %d bytes received", len(body), cap(fr.body), len(stream))
			}
			if strings.HasPrefix(string(body), string(errorPrefix)) {
				_ = parseServerError(body) // must not panic
			}
		}
		t.Fatalf("more frames than the tail has bytes")
	})
}

// FuzzErrorFrame: a reason of any bytes makes an error frame the client
// parses back (its JSON is valid whatever the reason holds).
func FuzzErrorFrame(f *testing.F) {
	f.Add("cursor ahead")
	f.Add("\xff\x00\"\\")
	f.Fuzz(func(t *testing.T, reason string) {
		frame := appendErrorFrame(nil, reason)
		var fr frameReader
		fr.reset(bytes.NewReader(frame))
		body, err := fr.next()
		if err != nil || !bytes.HasPrefix(body, errorPrefix) {
			t.Fatalf("error frame for %q: %q, %v", reason, body, err)
		}
		if err := parseServerError(body); err == nil {
			t.Fatalf("parseServerError(%q) = nil", body)
		}
	})
}
