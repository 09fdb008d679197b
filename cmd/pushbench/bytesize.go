package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a count of bytes written as a whole number with an optional
// binary unit: 4096, 4096B, 64KiB, 1MiB, 256MiB, 2GiB, 1TiB. Decimal units
// (KB, MB) are refused rather than guessed at.
type ByteSize int64

// byteUnits are the units ByteSize takes, largest first.
var byteUnits = []struct {
	suffix string
	size   int64
}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

var errByteSize = errors.New("want a whole number of bytes, optionally with a unit: B, KiB, MiB, GiB, TiB (e.g. 4096, 64KiB, 256MiB)")

// UnmarshalText reads a size such as 64KiB. It refuses negative numbers,
// fractions, unknown units and sizes past the int64 range.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	num, mult := s, int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.size
			break
		}
	}
	if num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return errByteSize
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mult {
		return fmt.Errorf("%s: past the largest size, %d bytes", s, int64(math.MaxInt64))
	}
	*b = ByteSize(n * mult)
	return nil
}

// MarshalText writes the size in the largest unit that divides it.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// String is the size in the largest unit that divides it exactly: 64KiB,
// 1000, 0.
func (b ByteSize) String() string {
	for _, u := range byteUnits[:len(byteUnits)-1] {
		if b != 0 && int64(b)%u.size == 0 {
			return strconv.FormatInt(int64(b)/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10)
}
