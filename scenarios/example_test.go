package scenarios_test

import (
	"fmt"
	"log"

	"github.com/pushbench/pushbench/scenarios"
)

// A scenario is a JSON file. Parse validates it and fills in the
// defaults; the one parameter that lists several values is stepped.
func ExampleParse() {
	sc, err := scenarios.Parse("my-fanout.json", []byte(`{
		"name": "my-fanout",
		"question": "How many clients stay within 200 ms at 5 msg/s?",
		"kind": "broadcast",
		"clients": [100, 1000, 5000],
		"rate": [5],
		"warmup": "1s",
		"duration": "5s",
		"slo": "200ms",
		"stop_at_slo": true
	}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (%s): SLO %v, %d repetition, %d-byte payload\n", sc.Name, sc.Kind, sc.SLO.Duration, sc.Repetitions, sc.Payload[0])
	for _, st := range sc.Steps() {
		fmt.Printf("step %d: %s = %v\n", st.Index, st.Param, st.Value())
	}
	// Output:
	// my-fanout (broadcast): SLO 200ms, 1 repetition, 64-byte payload
	// step 0: clients = 100
	// step 1: clients = 1000
	// step 2: clients = 5000
}

// A bad file fails with its name, the field and what is allowed.
func ExampleParse_error() {
	_, err := scenarios.Parse("bad.json", []byte(`{"name":"bad","kind":"broadcast","clients":[0],"rate":[1],"duration":"1s"}`))
	fmt.Println(err)
	// Output:
	// bad.json: field "clients": 0: allowed 1 to 10000000
}

// A target file describes a push server pushbench did not write. This
// one runs already (no start): messages are published with a POST whose
// body wraps pushbench's message, and SSE clients find it at /data in
// each event.
func ExampleParseTarget() {
	t, err := scenarios.ParseTarget("my-server.yaml", []byte(`
name: my-server
model: event loop
version: {fixed: "1.2.3"}
address: "http://127.0.0.1:9000"
publish:
  url: "{{.Base}}/publish/{{.Channel}}"
  body: '{"event":"tick","data":{{.Message}}}'
transports:
  sse:
    framing: sse
    url: "{{.Base}}/events/{{.Channel}}"
    message: /data
    resume: {kind: last-event-id}
`))
	if err != nil {
		log.Fatal(err)
	}
	vars := scenarios.TemplateVars{Base: "http://127.0.0.1:9000", Channel: t.Channel, Message: `{"seq":1,"sent":"1700000000000000000","payload":"x"}`}
	url, err := scenarios.Expand(t.Transports["sse"].URL, vars)
	if err != nil {
		log.Fatal(err)
	}
	body, err := scenarios.Expand(t.Publish.Body, vars)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Name, t.Version.Fixed, t.Names())
	fmt.Println(t.Publish.Method, "publish body:", body)
	fmt.Println("sse subscribes to", url, "and reads", t.Transports["sse"].Message)
	// Output:
	// my-server 1.2.3 [sse]
	// POST publish body: {"event":"tick","data":{"seq":1,"sent":"1700000000000000000","payload":"x"}}
	// sse subscribes to http://127.0.0.1:9000/events/bench and reads /data
}
