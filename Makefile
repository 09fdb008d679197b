# pushbench: `make bench` runs the benchmark suite on loopback, `make test`
# runs every test with the race detector.
GO      ?= go
OUT     ?= out
BIN     := bin/pushbench

.PHONY: all build bench test vet fmt clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/pushbench

# Per-transport delivery to one client on loopback, next to the raw-TCP floor.
bench: build
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench 'DeliveryOneClient' -benchtime 200000x -count 3 ./transports/all/ | tee $(OUT)/bench.txt

test: vet
	$(GO) test -race -count=1 -timeout 15m ./...

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo 'gofmt: files above need formatting (run make fmt)'; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(OUT)
