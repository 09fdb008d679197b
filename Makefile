# pushbench: `make bench` runs the benchmark suite on loopback, `make test`
# runs every test with the race detector.
GO      ?= go
OUT     ?= out
BIN     := bin/pushbench

.PHONY: all build bench bench-quick bench-go test vet fmt clean node-deps

all: build

build:
	$(GO) build -o $(BIN) ./cmd/pushbench

# The default suite: every built-in scenario against every transport on
# loopback (server and load generator pinned to separate CPUs).
bench: build
	$(BIN) run --out $(OUT)/bench

# The same, reduced (a few minutes): what CI runs.
bench-quick: build
	$(BIN) run --quick --out $(OUT)/quick

# Go micro-benchmarks: per-transport delivery to one client, hot paths.
bench-go:
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee $(OUT)/microbench.txt

test: vet node-deps
	$(GO) test -race -count=1 -timeout 15m ./...

# Node clients for the interop tests (transports/service/interop_test.go),
# installed from the lock when node_modules is absent or older than the lock.
NODE_DIR := transports/service/testdata/node
node-deps: $(NODE_DIR)/node_modules/.package-lock.json
$(NODE_DIR)/node_modules/.package-lock.json: $(NODE_DIR)/package-lock.json
	npm ci --prefix $(NODE_DIR) --no-audit --no-fund
	@touch $@

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo 'gofmt: files above need formatting (run make fmt)'; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(OUT)
