// Package rawtcp is pushbench's physical floor: messages pushed over a plain
// TCP connection with pushbench's own minimal framing, no HTTP, no library.
// Every other transport is compared with it.
//
// # Protocol
//
// The client opens a TCP connection to the server's own port and sends a
// handshake of exactly HandshakeSize (9) bytes:
//
//	flags  1 byte             FlagFromNow (0) or FlagResume (1)
//	cursor 8 bytes big-endian FlagResume: the last seq seen (>= 0), the
//	                          server sends every seq > cursor;
//	                          FlagFromNow: must be 0, the server starts at
//	                          the newest message
//
// The server must receive the handshake within ServerOptions.WriteTimeout.
// Any other flag, a negative cursor, a non-zero cursor with FlagFromNow, a
// cursor ahead of the newest message or a short handshake is refused: the
// server writes one error frame and closes the connection (counted as
// rejected).
//
// Everything the server sends is a frame: a 4-byte big-endian body length,
// then the body:
//
//	message    Entry.JSON, {"seq":S,"sent":T,"payload":"..."} (package wire)
//	binary     Entry.Binary: the byte 0x01, seq and sent (8 bytes each), the
//	           payload's size (4 bytes), all big-endian, then the payload
//	           raw (wire.DecodeBinary; a body shorter or longer than its
//	           size claims is an error)
//	gap        {"type":"gap","first":F,"last":L}
//	heartbeat  empty body (length 0)
//	error      {"type":"error","reason":"..."}
//
// Right after a valid handshake, once the cursor is fixed, the server writes
// a heartbeat: it is the handshake acknowledgement, and messages appended
// after it are delivered. Then the server streams frames through push.Follow
// (same slow-consumer, gap and heartbeat rules as every push transport).
// Bytes the client sends after the handshake are read and ignored; the
// server reads only to notice that the client went away. Frames longer than
// MaxFrameSize are refused by the client.
//
// The server renews its write deadline (ServerOptions.WriteTimeout) before
// every batch and holds a 32 KiB write buffer per connection. The client
// renews its read deadline (ClientOptions.ReadTimeout) before every frame
// that is not already whole in its 16 KiB read buffer, i.e. before every
// frame whose reading touches the socket.
//
// # Concurrency
//
// Server is safe for concurrent use: Serve may run on several listeners at
// once, and Close may be called from any goroutine. Client.Run is called by
// one goroutine at a time (it reuses its buffers between runs).
package rawtcp

const (
	// HandshakeSize is the length of the client's handshake in bytes.
	HandshakeSize = 9
	// FlagFromNow asks for messages appended after the handshake.
	FlagFromNow = 0
	// FlagResume asks for every message after the handshake's cursor.
	FlagResume = 1
	// MaxFrameSize is the largest frame body the client accepts, in bytes:
	// the largest message, a 16 MiB payload, fits even when every byte is
	// escaped six-fold in its JSON (it was 16 MiB, which refused the
	// largest payload serve and the scenarios allow).
	MaxFrameSize = 100 << 20

	frameHeaderSize = 4
)
