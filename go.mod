module github.com/pushbench/pushbench

go 1.26.8

require (
	github.com/gorilla/websocket v1.5.3
	github.com/r3labs/sse/v2 v2.10.0
	go.uber.org/goleak v1.3.0
	gopkg.in/cenkalti/backoff.v1 v1.1.0
)

require (
	github.com/HdrHistogram/hdrhistogram-go v1.4.0 // indirect
	github.com/stretchr/testify v1.11.1 // indirect
	golang.org/x/net v0.0.0-20191116160921-f9c825593386 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
)
