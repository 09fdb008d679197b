package wire

import "testing"

func TestDigits(t *testing.T) {
	for _, c := range []struct {
		in  string
		max int
		n   int64
		ok  bool
	}{
		{"200", 3, 200, true}, {"0", 18, 0, true}, {"123456789012345678", 18, 123456789012345678, true},
		{"", 3, 0, false}, {"2000", 3, 0, false}, {"-1", 3, 0, false}, {"1a", 3, 0, false}, {" 1", 3, 0, false},
		{"1234567890123456789", 19, 0, false}, // past 18 digits it could overflow: refused
	} {
		if n, ok := Digits([]byte(c.in), c.max); n != c.n || ok != c.ok {
			t.Errorf("Digits(%q, %d) = %d, %v; want %d, %v", c.in, c.max, n, ok, c.n, c.ok)
		}
	}
}

func TestHex(t *testing.T) {
	for _, c := range []struct {
		in string
		n  uint64
		ok bool
	}{
		{"0", 0, true}, {"1a", 26, true}, {"FF", 255, true}, {"ffffffffffffffff", 1<<64 - 1, true},
		{"", 0, false}, {"1g", 0, false}, {"10000000000000000", 0, false}, {"-1", 0, false},
	} {
		n, err := Hex([]byte(c.in))
		if n != c.n || (err == nil) != c.ok {
			t.Errorf("Hex(%q) = %d, %v; want %d, ok %v", c.in, n, err, c.n, c.ok)
		}
	}
}
