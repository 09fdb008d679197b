package scenarios

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"sigs.k8s.io/yaml"
)

// Target is a push server pushbench did not write: how to start it (or
// only where it runs), how to publish one message through its API, and per
// transport how to subscribe and where pushbench's own message sits in
// what arrives. Target files are YAML or JSON (sigs.k8s.io/yaml maps YAML
// onto the same strict JSON decoding as scenarios); the built-ins live in
// targets/ and users copy them. Every string marked "template" is a
// text/template over TemplateVars.
type Target struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Model is how the server holds connections: "event loop", "thread
	// pool" or "process per connection"; Runtime what runs it ("nginx
	// 1.22.1", "Go", "Node 20").
	Model   string `json:"model"`
	Runtime string `json:"runtime,omitempty"`
	// Serve marks pushbench's own server: the run starts pushbench serve
	// and its own clients as it does without a target; Start, Address,
	// Publish and Transports are then unused.
	Serve bool `json:"serve,omitempty"`
	// Version is the implementation's version: Fixed, or the first line
	// a command prints (after Pattern's first group, when set).
	Version Version `json:"version"`
	// Install is the command that installs the server, printed when a
	// start command is missing.
	Install string `json:"install,omitempty"`
	// Start runs the server as a child of the run; nil: it runs already,
	// at Address.
	Start *Start `json:"start,omitempty"`
	// Address is the base URL clients and the publisher reach (template;
	// "http://127.0.0.1:{{.Port}}" by default when Start is set).
	Address string `json:"address,omitempty"`
	// Channel is the channel or topic every message goes to ("bench").
	Channel string  `json:"channel,omitempty"`
	Publish Publish `json:"publish"`
	// Transports maps pushbench transport names (sse, websocket,
	// longpoll, shortpoll) to how this server serves them.
	Transports map[string]Endpoint `json:"transports"`
	// Notes are settings a reader must know (buffer sizes raised for the
	// run, a mode used), printed with the target and kept in records.
	Notes  []string `json:"notes,omitempty"`
	Source string   `json:"-"`
}

// Version says how a target's version is known.
type Version struct {
	Fixed   string   `json:"fixed,omitempty"`
	Command []string `json:"command,omitempty"`
	// Pattern is a regular expression applied to the command's output;
	// its first group is the version.
	Pattern string `json:"pattern,omitempty"`
}

// Start is how a run starts a target: Command (templates) after Files
// (name -> template) are written into the target's folder in the output
// folder, then Ready is probed. The process and its children are pinned
// to the server CPU, sampled from /proc, and killed with the run.
type Start struct {
	Command []string          `json:"command"`
	Files   map[string]string `json:"files,omitempty"`
	Env     []string          `json:"env,omitempty"`
	Ready   Ready             `json:"ready"`
}

// Ready is a readiness probe: an HTTP GET (template) answered with a
// status below 500, or else a TCP connect to the address; within Timeout
// (20s).
type Ready struct {
	HTTP    string   `json:"http,omitempty"`
	Timeout Duration `json:"timeout,omitempty"`
}

// Publish is one message's publish request. Body is a template that gets
// {{.Message}}: pushbench's message as JSON, {"seq":N,"sent":"NS",
// "payload":"..."}, with sent a string of Unix nanoseconds so servers
// that re-encode JSON through float64 cannot round it.
type Publish struct {
	Method  string            `json:"method,omitempty"` // POST
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
	// OK lists the statuses that mean published (any 2xx by default).
	OK []int `json:"ok,omitempty"`
	// ErrorField is a top-level key of a JSON answer that means the
	// publish failed although the status is OK (Centrifugo's "error").
	ErrorField string `json:"error_field,omitempty"`
	// Sent is how sent is written: "string" (default, nanoseconds in a
	// string) or "number" (nanoseconds as a JSON number: only for servers
	// that keep integers exact).
	Sent string `json:"sent,omitempty"`
}

// Endpoint is how one transport of a target is subscribed to.
type Endpoint struct {
	// Framing is the wire form: "sse", "websocket", "longpoll" (a held
	// GET answered with one message or an array), "shortpoll" (a GET on
	// an interval), or Socket.IO (Engine.IO v4 and Socket.IO protocol v5,
	// main namespace) over its WebSocket transport, "socketio-websocket",
	// or its HTTP long-polling transport, "socketio-polling".
	Framing string `json:"framing"`
	// URL is the subscribe URL (template; ws:// or wss:// for websocket
	// and socketio-websocket). For Socket.IO it is the server's Engine.IO
	// path ({{.Base}}/socket.io/); the client adds EIO=4 and transport.
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	// Message is a JSON Pointer (RFC 6901) to pushbench's message in
	// each event, frame or answer ("": the whole of it). A document
	// where it does not resolve is not a message (a connect reply, a
	// ping) and is skipped; Array says the value there is an array of
	// messages.
	Message string `json:"message,omitempty"`
	Array   bool   `json:"array,omitempty"`
	// Event is, for the Socket.IO framings, the event whose first
	// argument is the document ("message" by default): a string
	// argument's contents, any other value's JSON text. Events of other
	// names are documents without a message.
	Event string `json:"event,omitempty"`
	// Empty lists the statuses a poll answers with when nothing is new
	// (304 and 204 by default; 408 for a long poll's expired hold).
	Empty []int `json:"empty,omitempty"`
	// Drain makes a short poll ask again at once after an answer that
	// held a message, and wait the poll interval only after an empty one:
	// the client a server that answers one message per poll needs (Nchan's
	// interval poll), whose cost is then k+1 requests for k messages.
	Drain  bool   `json:"drain,omitempty"`
	Resume Resume `json:"resume,omitempty"`
	// Recovered says where a resumed connection finds the messages it
	// missed when the server sends them inside another document (a
	// connect reply) rather than as events of their own.
	Recovered *Recovered `json:"recovered,omitempty"`
	// Notes on this transport: what the server sends between messages,
	// what a proxy in front must not do.
	Notes []string `json:"notes,omitempty"`
}

// Resume is how a client resumes after a disconnect, in the server's own
// terms. Kind: "" or "none" (the server offers none: a reconnect starts
// from now), "last-event-id" (SSE: the last id: as Last-Event-ID),
// "headers" (each response header in Headers is sent back as the named
// request header: Nchan's Last-Modified/Etag), or "url" (the URL template
// sees {{.Cursor}}, the value at pointer Cursor in the last message's
// document, and {{.Captured.NAME}}, values at Capture's pointers in any
// document: Centrifugo's offset and epoch).
type Resume struct {
	Kind    string            `json:"kind,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Cursor  string            `json:"cursor,omitempty"`
	Capture map[string]string `json:"capture,omitempty"`
}

// Recovered is an array of envelopes inside a document (JSON Pointer
// Array), each holding one message at Message and its cursor at Cursor
// (Centrifugo's connect reply: /connect/subs/CHANNEL/publications, each
// {"data":MESSAGE,"offset":N}).
type Recovered struct {
	Array   string `json:"array"`
	Message string `json:"message,omitempty"`
	Cursor  string `json:"cursor,omitempty"`
}

// The framings a target's endpoint may name (Endpoint.Framing).
const (
	FramingSSE       = "sse"
	FramingWebSocket = "websocket"
	FramingLongPoll  = "longpoll"  // a held GET answered with one message or an array
	FramingShortPoll = "shortpoll" // a GET on an interval
	// Socket.IO v5 over Engine.IO v4, on its WebSocket or its HTTP
	// long-polling transport.
	FramingSocketIOWebSocket = "socketio-websocket"
	FramingSocketIOPolling   = "socketio-polling"
)

// Framings and resume kinds a target may name.
var (
	Framings    = []string{FramingSSE, FramingWebSocket, FramingLongPoll, FramingShortPoll, FramingSocketIOWebSocket, FramingSocketIOPolling}
	ResumeKinds = []string{"", "none", "last-event-id", "headers", "url"}
	Models      = []string{"event loop", "thread pool", "process per connection"}
)

// SocketIO says whether framing is one of the Socket.IO framings.
func SocketIO(framing string) bool {
	return framing == FramingSocketIOWebSocket || framing == FramingSocketIOPolling
}

// TemplateVars are what a target's templates see.
type TemplateVars struct {
	Dir     string // the target's folder in the output folder (files, pid, logs)
	Port    int    // the port the run chose for it
	Base    string // the resolved Address, e.g. http://127.0.0.1:41234
	Host    string // Base's host:port
	WSBase  string // Base with ws:// (wss://) for http:// (https://)
	Channel string
	Key     string // a random secret made per run (API keys, JWT secrets)
	Procs   int    // worker processes the server may start (1)
	Cache   string // pushbench's cache folder, where built servers are installed
	// The scenario's heartbeat interval and long-poll hold in whole
	// seconds (at least 1; 15 and 30 when the scenario sets none), for
	// servers whose keep-alives and holds are configured.
	Heartbeat int
	Hold      int
	Message   string // publish body only: the message's JSON
	// Reconnect-time values for URL resume (Resume.Kind "url").
	Resuming bool
	Cursor   string
	Captured map[string]string
}

//go:embed targets/*.yaml
var targetFS embed.FS

// TargetNames lists the built-in targets.
func TargetNames() []string {
	ents, _ := targetFS.ReadDir("targets")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// BuiltinTarget returns the built-in target's file, as a user would copy it.
func BuiltinTarget(name string) ([]byte, error) {
	b, err := targetFS.ReadFile(path.Join("targets", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("unknown target %q: built-ins are %s, or give a target file's path", name, strings.Join(TargetNames(), ", "))
	}
	return b, nil
}

// FindTarget loads a built-in target by name or a target file by path.
func FindTarget(nameOrFile string) (Target, error) {
	if !strings.ContainsAny(nameOrFile, "/.") {
		b, err := BuiltinTarget(nameOrFile)
		if err != nil {
			return Target{}, err
		}
		return ParseTarget("built-in target "+nameOrFile, b)
	}
	b, err := os.ReadFile(nameOrFile)
	if err != nil {
		return Target{}, fmt.Errorf("target file: %w", err)
	}
	t, err := ParseTarget(nameOrFile, b)
	if err != nil {
		return Target{}, err
	}
	t.Source, _ = filepath.Abs(nameOrFile)
	return t, nil
}

// ParseTarget decodes and validates a target file; src names it in errors.
func ParseTarget(src string, b []byte) (Target, error) {
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		return Target{}, fmt.Errorf("%s: not YAML or JSON: %w", src, err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	var t Target
	if err := dec.Decode(&t); err != nil {
		return Target{}, fmt.Errorf("%s: %w", src, err)
	}
	t.defaults()
	if err := t.Validate(); err != nil {
		return Target{}, fmt.Errorf("%s: %w", src, err)
	}
	t.Source = src
	return t, nil
}

func (t *Target) defaults() {
	if t.Channel == "" {
		t.Channel = "bench"
	}
	if t.Publish.Method == "" {
		t.Publish.Method = "POST"
	}
	if t.Publish.Sent == "" {
		t.Publish.Sent = "string"
	}
	if t.Address == "" && t.Start != nil {
		t.Address = "http://127.0.0.1:{{.Port}}"
	}
	if t.Start != nil && t.Start.Ready.Timeout.Duration == 0 {
		t.Start.Ready.Timeout.Duration = 20 * time.Second
	}
	for name, e := range t.Transports {
		if e.Resume.Kind == "none" {
			e.Resume.Kind = ""
		}
		if len(e.Empty) == 0 && (e.Framing == FramingLongPoll || e.Framing == FramingShortPoll) {
			e.Empty = []int{204, 304}
			if e.Framing == FramingLongPoll {
				e.Empty = append(e.Empty, 408)
			}
		}
		t.Transports[name] = e
	}
}

// Validate names the first bad field and what is allowed.
func (t Target) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if t.Name == "" || strings.ContainsAny(t.Name, " /") {
		bad("name %q: a word without spaces or slashes is required", t.Name)
	}
	if !slices.Contains(Models, t.Model) {
		bad("model %q: one of %q", t.Model, Models)
	}
	if t.Serve {
		return errors.Join(errs...)
	}
	if t.Version.Fixed == "" && len(t.Version.Command) == 0 {
		bad("version: give fixed or command (every record names the version it measured)")
	}
	if t.Start == nil && t.Address == "" {
		bad("address: required when the target has no start (where does it run?)")
	}
	if t.Start != nil && len(t.Start.Command) == 0 {
		bad("start.command: required (or remove start and give address)")
	}
	if t.Publish.URL == "" || t.Publish.Body == "" {
		bad("publish: url and body are required (body gets {{.Message}})")
	}
	if !strings.Contains(t.Publish.Body, ".Message") {
		bad("publish.body %q: must place {{.Message}}", t.Publish.Body)
	}
	if t.Publish.Sent != "string" && t.Publish.Sent != "number" {
		bad("publish.sent %q: \"string\" or \"number\"", t.Publish.Sent)
	}
	if len(t.Transports) == 0 {
		bad("transports: name at least one of sse, websocket, longpoll, shortpoll")
	}
	for name, e := range t.Transports {
		if !slices.Contains(Framings, e.Framing) {
			bad("transports.%s.framing %q: one of %q", name, e.Framing, Framings)
		}
		if e.URL == "" {
			bad("transports.%s.url: required", name)
		}
		if !slices.Contains(ResumeKinds, e.Resume.Kind) {
			bad("transports.%s.resume.kind %q: one of %q", name, e.Resume.Kind, ResumeKinds)
		}
		if e.Resume.Kind == "headers" && len(e.Resume.Headers) == 0 {
			bad("transports.%s.resume.headers: name the response headers to send back", name)
		}
		if e.Drain && e.Framing != FramingShortPoll {
			bad("transports.%s.drain: only for shortpoll framing", name)
		}
		if SocketIO(e.Framing) && e.Resume.Kind != "" && e.Resume.Kind != "none" {
			bad("transports.%s.resume: none for the Socket.IO framings (the client does not speak connection state recovery)", name)
		}
		if e.Event != "" && !SocketIO(e.Framing) {
			bad("transports.%s.event: only for the Socket.IO framings", name)
		}
		if e.Resume.Kind == "last-event-id" && e.Framing != FramingSSE {
			bad("transports.%s.resume: last-event-id is for sse framing", name)
		}
		ptrs := append([]string{e.Message, e.Resume.Cursor}, mapValues(e.Resume.Capture)...)
		if rc := e.Recovered; rc != nil {
			if rc.Array == "" {
				bad("transports.%s.recovered.array: the pointer to the array of missed messages is required", name)
			}
			ptrs = append(ptrs, rc.Array, rc.Message, rc.Cursor)
		}
		for _, p := range ptrs {
			if p != "" && !strings.HasPrefix(p, "/") {
				bad("transports.%s: JSON Pointer %q must start with / (RFC 6901), or be empty for the whole document", name, p)
			}
		}
	}
	for _, tpl := range t.templates() {
		if _, err := template.New("").Funcs(targetFuncs).Parse(tpl); err != nil {
			bad("template %.40q: %v", tpl, err)
		}
	}
	return errors.Join(errs...)
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (t Target) templates() []string {
	out := []string{t.Address, t.Publish.URL, t.Publish.Body}
	out = append(out, mapValues(t.Publish.Headers)...)
	if t.Start != nil {
		out = append(out, t.Start.Command...)
		out = append(out, mapValues(t.Start.Files)...)
		out = append(out, t.Start.Env...)
		out = append(out, t.Start.Ready.HTTP)
	}
	for _, e := range t.Transports {
		out = append(out, e.URL)
		out = append(out, mapValues(e.Headers)...)
	}
	return out
}

// targetFuncs are the functions templates may call: query (URL query
// escaping) and json (a JSON string literal).
var targetFuncs = template.FuncMap{
	"query": url.QueryEscape,
	"json": func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	},
}

// Expand executes one of the target's templates.
func Expand(tpl string, v TemplateVars) (string, error) {
	tp, err := template.New("").Option("missingkey=error").Funcs(targetFuncs).Parse(tpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tp.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Names lists the transports the target serves, sorted.
func (t Target) Names() []string {
	var out []string
	for n := range t.Transports {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
