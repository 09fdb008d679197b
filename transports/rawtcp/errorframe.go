package rawtcp

import "bytes"

// ErrorFrame reports whether a frame body is an error frame and, when it
// is, the reason the server gave: what Client reports, for a load
// generator that reads frames itself (loadgen's reactor).
func ErrorFrame(body []byte) (*ServerError, bool) {
	if !bytes.HasPrefix(body, errorPrefix) {
		return nil, false
	}
	return parseServerError(body), true
}
