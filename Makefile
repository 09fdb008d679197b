# pushbench: `make bench` runs the benchmark suite on loopback, `make test`
# runs every test with the race detector.
GO      ?= go
OUT     ?= out
BIN     := bin/pushbench

.PHONY: target-deps bench-targets stack-node stack-python stack-php stack-java java-deps
.PHONY: all build bench bench-quick bench-faults bench-proxies bench-scale bench-deploy bench-stacks bench-go test test-short fuzz vet fmt clean node-deps lint-workflows system-deps proxies test-deps

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/pushbench

# The default suite: every built-in scenario against every transport on
# loopback (server and load generator pinned to separate CPUs).
bench: build
	$(BIN) run --out $(OUT)/bench

# The same, reduced (a few minutes): what CI runs.
bench-quick: build
	$(BIN) run --quick --out $(OUT)/quick

# The fault scenarios (resets, stalls, an idle-closing proxy, slow readers)
# and the latency and fanout scenarios on the wan and mobile profiles.
bench-faults: build
	$(BIN) run --scenario faults --out $(OUT)/faults
	$(BIN) run --scenario latency,fanout --network wan --out $(OUT)/wan
	$(BIN) run --scenario latency,fanout --network mobile --out $(OUT)/mobile

# To 100,000 connections per transport on this machine: server processes
# share a port and load-generator workers split the clients as the
# open-file limit requires (about 35 minutes on 2 cores).
bench-scale: build
	$(BIN) run --scenario scale --out $(OUT)/scale

# How it is deployed (issue 11's one run): every transport beside its TLS
# variant (idle memory, handshakes full and resumed, bytes per message),
# SSE and the polls over HTTP/1.1 and HTTP/2 (streams per connection, a
# slow stream), headless Chromium's connection limit (C13), and binary
# payloads beside text (C11). About 18 minutes on 2 cores; needs chromium
# (make system-deps).
bench-deploy: build system-deps
	$(BIN) run --scenario tls,browser-c13,payload,payload-binary --out $(OUT)/deploy

# Real servers as targets (docs/TARGETS.md): the targets suite (latency,
# idle, fanout to 10,000) against pushbench's own server, nginx with Nchan
# and Centrifugo, each in its own folder, then one report that sets each
# transport beside itself across implementations.
TARGET_TRANSPORTS := sse,websocket,longpoll,shortpoll
bench-targets: build target-deps
	$(BIN) run --scenario targets --target pushbench --transports $(TARGET_TRANSPORTS) --out $(OUT)/targets/pushbench
	$(BIN) run --scenario targets --target nchan --out $(OUT)/targets/nchan
	$(BIN) run --scenario targets --target centrifugo --out $(OUT)/targets/centrifugo
	$(BIN) report --out $(OUT)/targets/all $(OUT)/targets/pushbench $(OUT)/targets/nchan $(OUT)/targets/centrifugo

# Every stack's reference servers (scenarios/targets/stacks/: Node, Python,
# PHP, ...) through the stacks suite: latency, idle connections at 1,000
# and 19,000 in three repetitions (19,000 only where 1,000 held) and fanout
# to 10,000 (stopping past the SLO), each target in its own folder, with
# pushbench's own server as the reference (its four HTTP transports), then
# one report in $(OUT)/stacks/all. The reference servers are found, not
# listed: every built-in target whose start command runs code from
# {{.Cache}}/stacks/ (where make target-deps installs it), so a new stack's
# target file is picked up as it lands. Every target runs even when one
# fails (a server that cannot start, a step that errors); make then exits 1
# naming them. About 36 minutes on 2 cores; each target's wall time is
# printed. STACKS_FLAGS adds run flags (--quick for a few minutes).
STACK_TARGETS ?= $(sort $(basename $(notdir $(shell grep -lE '\{\{ *\.Cache *\}\}/stacks/' scenarios/targets/*.yaml))))
STACKS_FLAGS ?=
bench-stacks: build target-deps
	@failed=""; dirs=""; t0=$$(date +%s); \
	for t in pushbench $(STACK_TARGETS); do \
	  trs=""; [ "$$t" = pushbench ] && trs="--transports $(TARGET_TRANSPORTS)"; \
	  s=$$(date +%s); echo "bench-stacks: $$t"; \
	  $(BIN) run --scenario stacks --target $$t $$trs $(STACKS_FLAGS) --out $(OUT)/stacks/$$t || failed="$$failed $$t"; \
	  echo "bench-stacks: $$t took $$(( $$(date +%s) - s )) s"; \
	  [ -f $(OUT)/stacks/$$t/results.json ] || [ -d $(OUT)/stacks/$$t/records ] && dirs="$$dirs $(OUT)/stacks/$$t"; \
	done; \
	$(BIN) report --out $(OUT)/stacks/all $$dirs || failed="$$failed report"; \
	echo "bench-stacks: $$(( $$(date +%s) - t0 )) s in all"; \
	if [ -n "$$failed" ]; then echo "bench-stacks: failed:$$failed (their folders under $(OUT)/stacks say why)"; exit 1; fi

# The built-in targets' servers, pinned: Debian's nginx with the Nchan
# module (apt-get, as root) and Centrifugo built from its module with go
# install into pushbench's cache folder ($$PUSHBENCH_CACHE, default
# ~/.cache/pushbench), never a downloaded binary and never a dependency of
# pushbench's own module.
CENTRIFUGO_VERSION := v6.9.1
PUSHBENCH_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pushbench
CENTRIFUGO := $(PUSHBENCH_CACHE)/targets/centrifugo-$(CENTRIFUGO_VERSION)/centrifugo
target-deps: $(CENTRIFUGO) stack-node stack-python stack-php stack-java
	@deps="$(TARGET_DEPS)"; $(DEPS_INSTALL)
$(CENTRIFUGO):
	@echo "building Centrifugo $(CENTRIFUGO_VERSION) with go install into $(dir $@) (about 2.5 minutes on 2 cores)"
	cd / && GOBIN=$(dir $@) GOFLAGS=-mod=mod $(GO) install github.com/centrifugal/centrifugo/v6@$(CENTRIFUGO_VERSION)

# The Node reference servers (scenarios/targets/stacks/node; the targets
# node-*.yaml): copied into the cache folder, where the built-in targets
# start them, with their npm packages installed there from the lock file.
# npm ci runs only when the lock differs from the one last installed (a
# copy kept in node_modules), so an up-to-date tree costs one copy.
NODE_STACK := $(PUSHBENCH_CACHE)/stacks/node
stack-node:
	@deps="node:nodejs npm:npm"; $(DEPS_INSTALL)
	@mkdir -p $(NODE_STACK)
	cp scenarios/targets/stacks/node/*.js scenarios/targets/stacks/node/package.json scenarios/targets/stacks/node/package-lock.json $(NODE_STACK)/
	@cmp -s $(NODE_STACK)/package-lock.json $(NODE_STACK)/node_modules/.pushbench-lock || { \
	  echo "npm ci in $(NODE_STACK)"; \
	  npm ci --prefix $(NODE_STACK) --no-audit --no-fund && cp $(NODE_STACK)/package-lock.json $(NODE_STACK)/node_modules/.pushbench-lock; }

# Reference servers (scenarios/targets/stacks/NAME): Debian's packages
# through DEPS_INSTALL, then the server's folder copied into the cache
# folder, where the built-in target's start command runs it (target files
# are embedded in pushbench; the code beside them is not). The copy is
# redone only when a file in the folder changed.
STACKS := $(PUSHBENCH_CACHE)/stacks
$(STACKS)/python/.stamp: $(wildcard scenarios/targets/stacks/python/*)
$(STACKS)/php/.stamp: $(wildcard scenarios/targets/stacks/php/*)
$(STACKS)/%/.stamp:
	rm -rf $(dir $@) && mkdir -p $(dir $@) && cp -R scenarios/targets/stacks/$*/. $(dir $@)
	@touch $@
# Tornado 6.2 for Debian's own Python (python3-tornado); the target runs
# $(DEBIAN_PYTHON), which is where apt-get installs it.
stack-python: $(STACKS)/python/.stamp
	@deps="$(PYTHON_STACK_DEPS)"; $(DEPS_INSTALL)
# PHP-FPM 8.2 (php8.2-fpm) behind nginx.
stack-php: $(STACKS)/php/.stamp
	@deps="$(PHP_STACK_DEPS)"; $(DEPS_INSTALL)

# The Java servers (scenarios/targets/stacks/java; the targets java-*.yaml):
# plain .java files compiled with Debian's JDK against Debian's jars in
# JAVA_SHARE, no build tool and no download, into the cache folder. Each
# server gets an argument file there, SERVER.args, holding its class path
# (the classes and the jars JAVA_CP_SERVER lists), which its target's
# start command hands to java as @FILE. Compiled again only when a source
# or this Makefile changed.
JAVA_SHARE ?= /usr/share/java
JAVA_STACK := $(STACKS)/java
JAVA_SERVERS := spring-mvc netty jetty-websocket
JETTY_JARS := servlet-api jetty9-server jetty9-http jetty9-io jetty9-util jetty9-servlet jetty9-security
JAVA_CP_spring-mvc := $(JETTY_JARS) spring3-core spring3-beans spring3-context spring3-aop spring3-expression \
	spring3-web spring3-web.servlet commons-logging
JAVA_CP_netty := netty-common netty-buffer netty-transport netty-codec netty-codec-http netty-handler netty-resolver
JAVA_CP_jetty-websocket := $(JETTY_JARS) jetty9-websocket-api jetty9-websocket-common jetty9-websocket-server \
	jetty9-websocket-servlet jetty9-websocket-client jetty9-client
JAVA_SPACE := $(subst ,, )
java_cp = $(subst $(JAVA_SPACE),:,$(patsubst %,$(JAVA_SHARE)/%.jar,$(1)))
stack-java: $(JAVA_STACK)/.stamp
$(JAVA_STACK)/.stamp: $(wildcard scenarios/targets/stacks/java/*.java) Makefile | java-deps
	rm -rf $(JAVA_STACK) && mkdir -p $(JAVA_STACK)/classes
	javac --release 17 -d $(JAVA_STACK)/classes \
	  -cp "$(call java_cp,$(sort $(foreach s,$(JAVA_SERVERS),$(JAVA_CP_$(s)))))" scenarios/targets/stacks/java/*.java
	@$(foreach s,$(JAVA_SERVERS),printf -- '-cp "%s"\n' "$(JAVA_STACK)/classes:$(call java_cp,$(JAVA_CP_$(s)))" >$(JAVA_STACK)/$(s).args &&) touch $@
java-deps:
	@deps="$(JAVA_STACK_DEPS)"; $(DEPS_INSTALL)

# Go micro-benchmarks: per-transport delivery to one client, hot paths.
bench-go:
	@mkdir -p $(OUT)
	$(GO) test -run '^$$' -bench . -benchmem ./... | tee $(OUT)/microbench.txt

# After the tests, alone on the machine, the instrument's own selftest: its
# timing plants (a 50 ms hold, a stall, a starved load generator) need the
# CPU that the parallel test packages take.
test: test-deps $(CENTRIFUGO) stack-node stack-python stack-php stack-java vet lint-workflows node-deps
	$(GO) test -race -count=1 -timeout 15m ./...
	$(GO) build -o $(BIN) ./cmd/pushbench && $(BIN) selftest

# The inner loop, under a minute on 2 cores and with nothing to install:
# every test with -short, which skips those that start browsers, real
# proxies, Node, network namespaces or whole runs of the pushbench binary,
# and those that push for seconds (docs/CI.md). Without -race: with it the
# plot rendering alone takes most of a minute. make test runs them all.
test-short:
	$(GO) test -short -count=1 -timeout 5m ./...

# Native Go fuzzing: each target below runs for FUZZTIME (their seed corpora
# already run in every plain `go test`, so in `make test`). New failures
# are written to the package's testdata/fuzz/ as regression seeds.
FUZZTIME ?= 30s
FUZZFLAGS ?=
FUZZ_TARGETS := \
	./transports/wire:FuzzDecode ./transports/wire:FuzzRoundTrip ./transports/wire:FuzzParseCursor ./transports/wire:FuzzAppendString \
	./transports/wire:FuzzDecodeBinary ./transports/wire:FuzzBinaryRoundTrip \
	./transports/sselean:FuzzParser \
	./transports/rawtcp:FuzzHandshake ./transports/rawtcp:FuzzFrames ./transports/rawtcp:FuzzErrorFrame \
	./transports/rawtcp:FuzzStreamParser ./transports/sselean:FuzzStreamParser ./transports/websocket:FuzzStreamParser \
	./transports/poll:FuzzPollerBody \
	./loadgen:FuzzSpecDecode \
	./scenarios:FuzzParse ./scenarios:FuzzParseNetwork \
	./results:FuzzLoad
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg; \
	done

# What the tests need from the system, each as CHECK:PACKAGE: a check runs
# the tool the way the tests use it (a binary that is present is not
# enough), and the Debian package makes it pass. node and npm run (the
# interop clients, the browser check), chromium starts headless (the HTML
# report's browser test, results/report/browser_test.go), ip (iproute2:
# the test across hosts in network namespaces, harness/netns_test.go) and
# curl (the TLS and HTTP/2 interop checks) run.
SYSTEM_DEPS := node:nodejs npm:npm chromium:chromium ip:iproute2 curl:curl
# nginx runs and loads its stream module (rawtcp through nginx; Debian
# ships it apart, in libnginx-mod-stream) and HAProxy runs: the
# real-proxy network profiles and their calibration tests.
PROXY_DEPS := nginx:nginx nginx_stream:libnginx-mod-stream haproxy:haproxy
# nginx loads the Nchan module: the nchan target (make target-deps, and
# the built-in targets' checks in make test).
TARGET_DEPS := nginx:nginx nginx_nchan:libnginx-mod-nchan
# Debian's Python imports Tornado, and PHP-FPM runs with nginx in front:
# the python and php-fpm targets (make stack-python, make stack-php).
DEBIAN_PYTHON ?= /usr/bin/python3
PYTHON_STACK_DEPS := tornado:python3-tornado
PHP_STACK_DEPS := nginx:nginx php_fpm:php8.2-fpm
# The JDK compiles and runs the Java servers; each jar package gives them
# the jar of JAVA_SHARE its check reads: Jetty 9.4 (libjetty9-java), its
# WebSocket API (libjetty9-extra-java), Netty 4.1 (libnetty-java) and
# Spring MVC 4.3 with the rest of Spring it needs (libspring-web-servlet-
# java): the java-*.yaml targets (make stack-java).
JAVA_STACK_DEPS := javac:openjdk-17-jdk-headless jetty:libjetty9-java jetty_websocket:libjetty9-extra-java \
	netty:libnetty-java spring_mvc:libspring-web-servlet-java

# DEPS_INSTALL runs every check of the shell variable deps in one pass,
# installs all the missing packages with one apt-get install when running
# as root on Debian or Ubuntu (otherwise it stops at once naming the exact
# command), then checks again and fails naming the command and what each
# failed check said. nginx and HAProxy live in SBIN_PATH, off a user's
# PATH. APT_GET, UID_NOW and SBIN_PATH are variables so that a test
# (results/report/deps_test.go) can check this logic.
APT_GET ?= apt-get
UID_NOW ?= $(shell id -u)
SBIN_PATH ?= /usr/sbin:/sbin
DEPS_INSTALL = \
	PATH="$$PATH:$(SBIN_PATH)"; \
	tmp=$$(mktemp -d) || exit 1; trap 'rm -rf "$$tmp"' EXIT; \
	check_node() { node --version; }; \
	check_npm() { npm --version; }; \
	check_chromium() { timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	  --no-first-run --disable-component-update --disable-sync --user-data-dir="$$tmp/chromium" --dump-dom about:blank; }; \
	check_ip() { ip -V; }; \
	check_curl() { curl --version; }; \
	check_nginx() { nginx -v; }; \
	nginx_modules() { \
	  v=$$(nginx -V 2>&1) || { echo "$$v"; return 1; }; \
	  mods=/usr/lib/nginx/modules; \
	  case "$$v" in *--modules-path=*) mods=$${v\#*--modules-path=}; mods=$${mods%% *};; esac; \
	}; \
	check_nginx_stream() { \
	  nginx_modules || return 1; \
	  load="load_module $$mods/ngx_stream_module.so;"; \
	  case "$$v" in *"--with-stream "*|*"--with-stream") load="";; esac; \
	  printf '%s\nerror_log stderr;\npid %s/nginx.pid;\nevents {}\nstream {}\n' "$$load" "$$tmp" >"$$tmp/nginx.conf" && \
	  nginx -t -q -p "$$tmp/" -c "$$tmp/nginx.conf"; \
	}; \
	check_nginx_nchan() { \
	  nginx_modules || return 1; \
	  printf 'load_module %s/ngx_nchan_module.so;\nerror_log stderr;\npid %s/nginx.pid;\nevents {}\n' "$$mods" "$$tmp" >"$$tmp/nchan.conf" && \
	  nginx -t -q -p "$$tmp/" -c "$$tmp/nchan.conf"; \
	}; \
	check_haproxy() { haproxy -v; }; \
	check_tornado() { $(DEBIAN_PYTHON) -c 'import tornado; print(tornado.version)'; }; \
	check_php_fpm() { php-fpm8.2 -v; }; \
	check_javac() { javac -version; }; \
	java_jar() { [ -r "$(JAVA_SHARE)/$$1.jar" ] || { echo "$(JAVA_SHARE)/$$1.jar: not found"; return 1; }; }; \
	check_jetty() { java_jar jetty9-servlet; }; \
	check_jetty_websocket() { java_jar jetty9-websocket-servlet; }; \
	check_netty() { java_jar netty-codec-http; }; \
	check_spring_mvc() { java_jar spring3-web.servlet; }; \
	check_all() { \
	  need=""; failed=""; \
	  for d in $$deps; do \
	    check_$${d%%:*} >"$$tmp/$${d%%:*}.out" 2>&1 || { need="$$need $${d\#*:}"; failed="$$failed $${d%%:*}"; }; \
	  done; \
	}; \
	check_all; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if [ "$(UID_NOW)" != 0 ] || ! command -v $(APT_GET) >/dev/null 2>&1; then \
	  echo "make $@: failed checks:$$failed. Install the packages, then run make again:"; \
	  echo "  sudo apt-get update && sudo apt-get install -y$$need"; \
	  exit 1; \
	fi; \
	installed=$$need; \
	echo "make $@: installing$$need with $(APT_GET) (Debian packages; failed checks:$$failed)"; \
	$(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq --no-install-recommends$$need || \
	  { echo "make $@: $(APT_GET) install failed; run: apt-get update && apt-get install -y$$need"; exit 1; }; \
	check_all; \
	if [ -z "$$need" ]; then exit 0; fi; \
	for c in $$failed; do \
	  echo "make $@: check $$c still fails after installing$$installed; it said:"; tail -n 3 "$$tmp/$$c.out"; \
	done; \
	echo "make $@: fix the above, or reinstall by hand, then run make again: apt-get update && apt-get install -y --reinstall$$need"; \
	exit 1

system-deps:
	@deps="$(SYSTEM_DEPS)"; $(DEPS_INSTALL)

# nginx (with its stream module) and HAProxy from Debian's packages.
proxies:
	@deps="$(PROXY_DEPS)"; $(DEPS_INSTALL)

# Everything make test needs, checked and installed in one pass (one
# apt-get install on a fresh machine).
test-deps:
	@deps="$(SYSTEM_DEPS) $(PROXY_DEPS) nginx_nchan:libnginx-mod-nchan $(PYTHON_STACK_DEPS) $(filter-out nginx:nginx,$(PHP_STACK_DEPS)) $(JAVA_STACK_DEPS)"; $(DEPS_INSTALL)

# The example CI workflow must stay valid: actionlint from the module proxy.
ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
lint-workflows:
	$(GO) run $(ACTIONLINT) -shellcheck= -pyflakes= .github/workflows/*.yml

# Node packages for the tests, installed from their locks when node_modules
# is absent or older than the lock: the interop clients
# (transports/serve/interop_test.go) and the browser check of the HTML
# report (results/report/browser_test.go; it drives Debian's chromium,
# never a downloaded browser).
NODE_DIRS := transports/serve/testdata/node results/report/testdata/browser
# Under make test, test-deps has already checked node and npm with the rest.
node-deps: $(if $(filter test,$(MAKECMDGOALS)),test-deps,system-deps) $(addsuffix /node_modules/.package-lock.json,$(NODE_DIRS))
%/node_modules/.package-lock.json: %/package-lock.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix $* --no-audit --no-fund
	@touch $@

# Every transport through nginx and HAProxy, stock and tuned, beside the
# direct path, and the idle-close scenarios through each (C12): one output
# folder per network, then (with jq) all records in $(OUT)/proxies/all,
# whose report's proxies section puts each proxy beside loopback. (Its
# per-scenario tables pool the networks: read those per folder.)
PROXY_NETS := loopback nginx-stock nginx-tuned haproxy-stock haproxy-tuned
bench-proxies: build proxies
	for n in $(PROXY_NETS); do \
	  $(BIN) run --quick --scenario latency,fault-idle-close,fault-idle-close-heartbeat --network $$n --out $(OUT)/proxies/$$n || exit 1; \
	done
	$(BIN) report --out $(OUT)/proxies/all $(addprefix $(OUT)/proxies/,$(PROXY_NETS))

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo 'gofmt: files above need formatting (run make fmt)'; exit 1; }
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin $(OUT)
