package controlplane

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
)

// EnvVar is the environment variable a token may come from when no
// --token-file is given.
const EnvVar = "PUSHBENCH_TOKEN"

// MinBits is the least entropy a token must carry as written.
const MinBits = 256

// TokenRule is the rule for tokens, as -h states it.
const TokenRule = "at least 256 bits as written: 64 hex digits (openssl rand -hex 32) or 43 base64 characters (openssl rand -base64 32)"

// Token is a shared secret; the zero Token is "none". Its String hides
// the secret, so a Token printed by mistake does not leak.
type Token struct{ secret string }

// String never shows the secret.
func (t Token) String() string {
	if t.secret == "" {
		return "no token"
	}
	return "a token"
}

// Set reports whether t holds a secret.
func (t Token) Set() bool { return t.secret != "" }

// Secret is the secret itself, for the Authorization header and for a
// child process's environment.
func (t Token) Secret() string { return t.secret }

// matches compares got with the secret in constant time: both are hashed
// first, so neither their bytes nor their lengths show in the timing.
func (t Token) matches(got string) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(t.secret))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// ParseToken checks s against the token rule. Surrounding white space
// (a file's final newline) is dropped.
func ParseToken(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Token{}, errors.New("empty token")
	}
	distinct := map[rune]bool{}
	for _, c := range s {
		if c < 0x21 || c > 0x7e {
			return Token{}, errors.New("token has a character that is not printable ASCII (an HTTP header could not carry it)")
		}
		distinct[c] = true
	}
	if bits := tokenBits(s); bits < MinBits {
		return Token{}, fmt.Errorf("token too short: %d characters carry about %d bits, %s", len(s), bits, TokenRule)
	}
	if len(distinct) < 8 {
		return Token{}, fmt.Errorf("token repeats %d characters only: it is not random (%s)", len(distinct), TokenRule)
	}
	return Token{secret: s}, nil
}

// tokenBits is the entropy s can carry as written: its length times the
// bits per character of the smallest usual alphabet it is written in
// (hex, base64, or printable ASCII).
func tokenBits(s string) int {
	perChar := math.Log2(94)
	switch {
	case strings.Trim(s, "0123456789abcdefABCDEF") == "":
		perChar = 4
	case strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=") == "":
		perChar = 6
	}
	return int(float64(len(strings.TrimRight(s, "="))) * perChar)
}

// LoadToken reads the token from file when it is given, else from the
// environment variable EnvVar (getenv is os.Getenv outside tests). No
// token at all is the zero Token and no error. flag names the file flag
// in messages.
func LoadToken(flag, file string, getenv func(string) string) (Token, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return Token{}, fmt.Errorf("%s: %w", flag, err)
		}
		t, err := ParseToken(string(b))
		if err != nil {
			return Token{}, fmt.Errorf("%s %s: %w", flag, file, err)
		}
		return t, nil
	}
	if v := getenv(EnvVar); v != "" {
		t, err := ParseToken(v)
		if err != nil {
			return Token{}, fmt.Errorf("%s: %w", EnvVar, err)
		}
		return t, nil
	}
	return Token{}, nil
}
