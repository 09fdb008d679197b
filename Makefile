# pushbench: `make bench` runs the benchmark suite on loopback, `make test`
# runs every test with the race detector.
GO      ?= go
OUT     ?= out
BIN     := bin/pushbench

.PHONY: all build bench test vet fmt clean node-deps

all: build

build:
	$(GO) build -o $(BIN) ./cmd/pushbench

# Per-transport delivery to one client on loopback, next to the raw-TCP floor.
bench: build
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench 'DeliveryOneClient' -benchtime 200000x -count 3 ./transports/all/ | tee $(OUT)/bench.txt

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
