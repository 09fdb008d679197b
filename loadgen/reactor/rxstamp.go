package reactor

import (
	"encoding/binary"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The kernel's software receive timestamps (SO_TIMESTAMPING, 64-bit
// timespecs): on a TCP socket, each recvmsg carries the time the kernel
// received the last byte it returns (the highest sequence number). That
// is when the read's messages are taken to have arrived (the older bytes
// of a read came no later), and our own clock reading after the read,
// less that, is how long the newest of the read's bytes waited in the
// socket for the client (the older ones waited longer): the client's lag,
// at least, which the latency then leaves out.

const timestampFlags = unix.SOF_TIMESTAMPING_RX_SOFTWARE | unix.SOF_TIMESTAMPING_SOFTWARE

// oobSize holds one cmsg of three 16-byte timespecs.
var oobSize = unix.CmsgSpace(3 * 16)

// enableRxStamps asks the kernel for receive timestamps on fd; false when
// it cannot give them (not TCP, an old kernel).
func enableRxStamps(fd int) bool {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPING_NEW, timestampFlags) == nil
}

// rxStamp finds the software receive timestamp (Unix ns) in a recvmsg's
// control bytes; 0 when there is none. It allocates nothing.
func rxStamp(oob []byte) int64 {
	for len(oob) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0])) // read in place, as the kernel laid it out
		n := int(h.Len)
		if n < unix.SizeofCmsghdr || n > len(oob) {
			return 0
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SO_TIMESTAMPING_NEW && n >= unix.CmsgLen(16) {
			d := oob[unix.CmsgLen(0):n]
			sec := int64(binary.NativeEndian.Uint64(d[0:8]))
			nsec := int64(binary.NativeEndian.Uint64(d[8:16]))
			if sec == 0 && nsec == 0 {
				return 0
			}
			return sec*int64(time.Second) + nsec
		}
		oob = oob[min(unix.CmsgSpace(n-unix.SizeofCmsghdr), len(oob)):]
	}
	return 0
}
