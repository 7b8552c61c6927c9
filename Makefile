# make test: what CI runs. Tests build the plugin binaries they need
# (go build in each package's TestMain); shared-cache tests start their own
# redis-server on a free 127.0.0.1 port and need the redis-server binary.
GO ?= go
FUZZTIME ?= 30s

.PHONY: test vet bench fuzz plugins demo

test: vet
	$(GO) test -race -count=1 ./...
	cd examples/thirdparty && $(GO) test -race -count=1 ./...
	# the oauth2 provider against ory/fosite and zitadel/oidc (a module of its own: their deps stay out of go.mod)
	cd internal/interop && $(GO) test -race -count=1 ./...
	# every benchmark runs once, so none can rot (numbers: make bench)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

# bench reproduces BENCHMARKS.md (COUNT=10 by default; see scripts/bench.sh).
bench:
	scripts/bench.sh

# fuzz runs every fuzz test in the module for FUZZTIME each (default 30s),
# one after another (see scripts/fuzz.sh); make test runs only their seeds
# and committed corpora (testdata/fuzz).
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...

# plugins builds the standalone provider binaries into ./bin.
plugins:
	$(GO) build -o bin/ ./plugins/...

demo:
	$(GO) run ./cmd/tokenplug demo
