// Package controlplane locks the control APIs that pushbench's processes
// offer one another (pushbench worker's API, pushbench serve's
// /control/*): a shared bearer token, compared in constant time; the rule
// that a control API off loopback needs one; optional TLS; and bounded,
// strictly decoded request bodies. The coordinator's side is Client.
package controlplane
