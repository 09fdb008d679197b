package facts

import "strings"

// The names of the built-in base transports.
const (
	RawTCP    = "rawtcp"
	WebSocket = "websocket"
	SSELean   = "sse-lean"
	SSE       = "sse"
	LongPoll  = "longpoll"
	ShortPoll = "shortpoll"
)

// The variants a base transport can have.
const (
	VariantTLS = "tls" // the same protocol over TLS 1.3
	VariantH2  = "h2"  // HTTP/2 over TLS, negotiated with ALPN
	VariantH2C = "h2c" // HTTP/2 in cleartext, with prior knowledge
)

// Variants are the known variants, in the order they are listed.
var Variants = []string{VariantTLS, VariantH2, VariantH2C}

// variantSep joins a base's name and a variant's: "sse+h2c".
const variantSep = "+"

// VariantName is the name of base's variant: "sse+h2c".
func VariantName(base, variant string) string { return base + variantSep + variant }

// SplitName is a variant's name taken apart: its base's name and the
// variant; ok is false for a name that is not formed as VariantName forms
// it.
func SplitName(name string) (base, variant string, ok bool) {
	base, variant, ok = strings.Cut(name, variantSep)
	return base, variant, ok && base != "" && variant != ""
}
