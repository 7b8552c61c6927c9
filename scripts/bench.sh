#!/bin/sh
# bench.sh runs tokenplug's side-by-side benchmarks (internal/benchmarks)
# and prints them as benchstat tables: one column per implementation, the
# anchor (x/oauth2, grpc oauth, in-process, plain go-plugin) first, and each
# tokenplug column with its ratio to it. BENCHMARKS.md holds a run.
#
# Environment:
#   COUNT=10       runs of each benchmark (benchstat needs >= 6 for a ratio's p-value)
#   BENCHTIME=1s   time per per-request benchmark run
#   EVENTS=50      plugin starts (herds) per cold-start, herd and RSS run
#   OUT=file       where the raw results go (default: a temporary file)
#   BENCHSTAT=cmd  benchstat to use (default: benchstat on $PATH, else go run)
set -eu
cd "$(dirname "$0")/.."

COUNT=${COUNT:-10}
BENCHTIME=${BENCHTIME:-1s}
EVENTS=${EVENTS:-50}
OUT=${OUT:-$(mktemp "${TMPDIR:-/tmp}/tokenplug-bench.XXXXXX")}
if [ -z "${BENCHSTAT:-}" ]; then
	if command -v benchstat >/dev/null 2>&1; then
		BENCHSTAT=benchstat
	else
		BENCHSTAT="go run golang.org/x/perf/cmd/benchstat@latest"
	fi
fi

echo "# $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(go version)" >&2
echo "# raw results: $OUT" >&2

# Each round runs every benchmark once, and the rounds repeat COUNT times,
# so that a change in the machine's load during the run falls on tokenplug
# and its anchor alike instead of on whichever ran last.
: >"$OUT"
i=0
while [ "$i" -lt "$COUNT" ]; do
	i=$((i + 1))
	echo "# round $i of $COUNT" >&2
	# Per-request and per-fetch costs, at GOMAXPROCS 1 and 2.
	go test -run '^$' -bench 'RoundTrip|GetRequestMetadata|CachedToken|Fetch' -benchmem \
		-cpu 1,2 -benchtime "$BENCHTIME" ./internal/benchmarks >>"$OUT"
	# One-off events: each iteration is a whole plugin start or herd. The
	# host's GOMAXPROCS hardly matters to them (the plugin is its own process).
	go test -run '^$' -bench 'ColdStart|Herd|PluginRSS' \
		-cpu 2 -benchtime "${EVENTS}x" ./internal/benchmarks >>"$OUT"
	# Providers of one plugin, 1 to 1,000 (make test runs up to 100).
	TOKENPLUG_BENCH_TENANTS=1,10,100,1000 go test -run '^$' -bench 'Tenants' \
		-cpu 2 -benchtime 3x ./internal/benchmarks >>"$OUT"
done

for name in RoundTrip GetRequestMetadata CachedToken Fetch ColdStart; do
	$BENCHSTAT -col /impl -filter ".name:$name" "$OUT"
	echo
done
$BENCHSTAT -filter '.name:(Herd OR PluginRSS)' "$OUT"
echo
$BENCHSTAT -col /impl -filter '.name:Tenants' "$OUT"
