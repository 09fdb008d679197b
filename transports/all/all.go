// Package all registers every transport by importing it. Import it for its
// side effect: _ "github.com/pushbench/pushbench/transports/all".
package all

import (
	_ "github.com/pushbench/pushbench/transports/poll"      // shortpoll, longpoll
	_ "github.com/pushbench/pushbench/transports/rawtcp"    // rawtcp
	_ "github.com/pushbench/pushbench/transports/sse"       // sse (r3labs/sse/v2)
	_ "github.com/pushbench/pushbench/transports/sselean"   // sse-lean
	_ "github.com/pushbench/pushbench/transports/websocket" // websocket
)
