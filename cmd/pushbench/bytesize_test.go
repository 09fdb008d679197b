package main

import (
	"strconv"
	"testing"
)

func TestByteSizeParses(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0}, {"4096", 4096}, {"4096B", 4096}, {"64KiB", 64 << 10}, {"1MiB", 1 << 20}, {"256MiB", 256 << 20},
		{"2GiB", 2 << 30}, {"1TiB", 1 << 40}, {" 8 KiB ", 8 << 10}, {"8388607TiB", 8388607 << 40}, {"9223372036854775807", 1<<63 - 1},
	}
	for _, tt := range good {
		var b ByteSize
		if err := b.UnmarshalText([]byte(tt.in)); err != nil || int64(b) != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.in, b, err, tt.want)
		}
	}
	bad := []string{"", "-1", "-1KiB", "+5", "1.5MiB", "64KB", "64k", "1MB", "KiB", "abc", "0x10", "1e6",
		"8388608TiB", "9223372036854775808", "99999999999999999999"}
	for _, in := range bad {
		var b ByteSize = 7
		if err := b.UnmarshalText([]byte(in)); err == nil || b != 7 {
			t.Errorf("%q: %d, %v; want an error and the size unchanged", in, b, err)
		}
	}
}

func TestByteSizeStringRoundTrips(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0"}, {1000, "1000"}, {1024, "1KiB"}, {1536, "1536"}, {64 << 20, "64MiB"}, {3 << 40, "3TiB"}, {1<<63 - 1, "9223372036854775807"}} {
		if got := ByteSize(tt.n).String(); got != tt.want {
			t.Errorf("%d: %q, want %q", tt.n, got, tt.want)
		}
		var back ByteSize
		if err := back.UnmarshalText([]byte(ByteSize(tt.n).String())); err != nil || int64(back) != tt.n {
			t.Errorf("%d: read back as %d, %v", tt.n, back, err)
		}
	}
}

func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"64KiB", "1TiB", "-1", "8388608TiB", "1.5MiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b ByteSize
		if err := b.UnmarshalText([]byte(s)); err != nil {
			return
		}
		if b < 0 {
			t.Fatalf("%q: negative size %d", s, b)
		}
		var back ByteSize
		if err := back.UnmarshalText([]byte(b.String())); err != nil || back != b {
			t.Fatalf("%q = %d: %q reads back as %d, %v", s, b, b.String(), back, err)
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && int64(b) != n {
			t.Fatalf("%q: %d, want %d", s, b, n)
		}
	})
}
