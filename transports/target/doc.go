// Package target is the client half for targets: push servers pushbench
// did not write (nginx with Nchan, Centrifugo, a user's own server),
// subscribed to as a target file's scenarios.Endpoint describes, so the
// load generator measures them through the same transports.Receiver calls
// as its own clients.
//
// Each framing carries documents: an SSE event's data, a WebSocket text or
// binary message, a poll answer's body, a Socket.IO event's first argument
// (Engine.IO v4 and Socket.IO protocol v5 over WebSocket or long-polling;
// a packet the client cannot take is an ErrNotSocketIO). The endpoint's message pointer
// (RFC 6901) says where pushbench's message sits in a document; a document
// where it does not resolve (a connect reply, a ping) holds no message and
// is skipped, counted (Client.Documents) and shown to a Receiver that
// implements SkipObserver. Decoder finds the message and its seq, sent and
// payload size without allocating; a document that is not JSON, or a
// message that is malformed, ends the connection with a typed error
// (ErrNotJSON, ErrSentFloat, ErrMissingField, ErrBadField, ErrNotObject,
// ErrNotArray; errors.Is and errors.As, never the text).
//
// The load generator's since is its own seq; a target's cursor is the
// server's. So a Client keeps the server's cursor itself, in the terms of
// the endpoint's resume kind (the last SSE id:, response headers to send
// back, values read from documents for the URL template: the cursor from
// documents that hold messages or an empty array of them, captures from
// any), and resumes with it when Run is given since >= 0; since < 0
// forgets it and connects from now. A long poll is connected once its
// first request has a connection, since its answer may wait for the next
// message; a short poll at its first answer; SSE and WebSocket once the
// server accepted the stream (200, 101); Socket.IO at the server's reply
// to the namespace connect.
package target
