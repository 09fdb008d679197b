package loadgen

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
)

// TestErrorsAreCountedByCause: the same failure from different client
// addresses is one key; past the key limit, errors count under their
// cause (the errno, a timeout, the root error's type), never "other".
func TestErrorsAreCountedByCause(t *testing.T) {
	a := fmt.Errorf("dial tcp 127.0.0.2:40001->127.0.0.1:8080: %w", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED})
	b := fmt.Errorf("dial tcp 127.0.0.3:40977->127.0.0.1:8080: %w", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED})
	if errKey(a) != errKey(b) {
		t.Errorf("one cause, two keys: %q and %q", errKey(a), errKey(b))
	}
	v6 := fmt.Errorf("dial tcp [::1]:40001: %w", io.EOF)
	if k := errKey(v6); k != "dial tcp ADDR: EOF" {
		t.Errorf("IPv6 key %q", k)
	}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{a, "cause: connection refused"},
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), "cause: timeout"},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), "cause: *errors.errorString"},
	} {
		if got := errCause(tt.err); got != tt.want {
			t.Errorf("errCause(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
	g := newTestGen()
	defer g.Close()
	for i := range maxErrorKeys + 10 {
		g.noteErr(fmt.Errorf("status %d from the server", 500+i))
	}
	g.noteErr(a)
	errs := g.Errors()
	if len(errs) != maxErrorKeys+2 || errs["cause: connection refused"] != 1 || errs["cause: *errors.errorString"] != 10 {
		t.Errorf("%d keys: %v", len(errs), errs)
	}
	for k := range errs {
		if k == "(other errors)" {
			t.Error("an error counted as other")
		}
	}
}
