package transports_test

import (
	"fmt"
	"log"

	"github.com/pushbench/pushbench/transports"
	_ "github.com/pushbench/pushbench/transports/all" // registers every transport
)

// Transports register by name (importing transports/all registers
// pushbench's); everything else looks them up and reads their facts,
// never switches on the name.
func ExampleLookup() {
	for _, name := range []string{"websocket", "sse-lean", "shortpoll", "rawtcp"} {
		t, err := transports.Lookup(name)
		if err != nil {
			log.Fatal(err)
		}
		f := t.Facts(64, false) // for a 64-byte message
		fmt.Printf("%-9s path=%-10q push=%-5v upgrades=%-5v floor=%-5v wire minimum=%d B\n",
			t.Name, t.Path, t.Push, t.Upgrades, f.Floor, f.MinimumBytes)
	}
	// Output:
	// websocket path="/ws"      push=true  upgrades=true  floor=false wire minimum=66 B
	// sse-lean  path="/sse-lean" push=true  upgrades=false floor=false wire minimum=78 B
	// shortpoll path="/poll"    push=false upgrades=false floor=false wire minimum=65 B
	// rawtcp    path=""         push=true  upgrades=false floor=true  wire minimum=68 B
}

// A variant is its base transport over TLS or HTTP/2, registered as
// BASE+VARIANT. WebSocket has no HTTP/2 variant: gorilla/websocket does
// not implement WebSocket over HTTP/2 (RFC 8441).
func ExampleLookup_variant() {
	t, err := transports.Lookup("sse-lean+h2")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Name, "is", t.Family(), "over", t.Variant, "at", t.Path)
	_, err = transports.Lookup("websocket+h2")
	fmt.Println("websocket+h2 registered:", err == nil)
	// Output:
	// sse-lean+h2 is sse-lean over h2 at /sse-lean
	// websocket+h2 registered: false
}
