package loadgen

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"syscall"
)

// maxErrorKeys is how many distinct error texts a generator keeps; past
// it, errors are counted under their cause alone (errCause).
const maxErrorKeys = 40

// addrRe matches addresses and ports in error texts: each client dials
// from its own source address, so without this every client's error
// would be its own.
var addrRe = regexp.MustCompile(`\[?[0-9a-fA-F:]*[0-9a-fA-F]\]?:[0-9]+|[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(:[0-9]+)?`)

// errKey is the text an error is counted under: its message with
// addresses and ports replaced by ADDR, so the same cause on different
// connections counts once.
func errKey(err error) string {
	return addrRe.ReplaceAllString(err.Error(), "ADDR")
}

// errCause names the cause of err in a few words, for counting once the
// distinct texts are too many: the system error, a timeout, the peer
// closing, or the error's type.
func errCause(err error) string {
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.As(err, &errno):
		return "cause: " + errno.Error()
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "cause: timeout"
	case errors.Is(err, net.ErrClosed):
		return "cause: connection closed"
	}
	root := err
	for u := errors.Unwrap(root); u != nil; u = errors.Unwrap(root) {
		root = u
	}
	return fmt.Sprintf("cause: %T", root)
}
