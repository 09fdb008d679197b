package controlplane

import (
	"fmt"
	"net"
)

// Loopback reports whether a listen address (host:port) is reachable from
// this machine only: a loopback IP or "localhost". An empty host listens
// on every interface, so it is not.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckListen is the rule for a control API's address: off loopback it
// needs a token. what names the API and flag the address's flag, for the
// message.
func CheckListen(what, flag, addr string, t Token) error {
	if Loopback(addr) || t.Set() {
		return nil
	}
	return fmt.Errorf("%s %s is not a loopback address: %s there needs a token; give --token-file PATH (or set %s) with a secret of %s", flag, addr, what, EnvVar, TokenRule)
}
