#!/bin/sh
# fuzz.sh runs every fuzz test (func FuzzXxx) in the module, one after
# another, for FUZZTIME each, and prints a summary: executions and result
# per fuzzer. Fuzzers are found with `go test -list`, so a new one is picked
# up without editing this file. A failing input is written by go test to
# <package>/testdata/fuzz/<FuzzXxx>/; commit it with the fix. `make test`
# runs the committed corpora and the f.Add seeds, without fuzzing.
#
# Environment:
#   FUZZTIME=30s   time (or Nx executions) per fuzzer
#   FUZZ=regexp    only fuzzers whose name matches (default: all)
#   PKGS=./...     packages to search
#   GO=go          go command
#   FUZZFLAGS=     more go test flags, e.g. -fuzzminimizetime 10s
# The execs figure counts only fuzzing proper: while a worker minimizes a
# new interesting input (up to 60s by default), the count stands still.
# Exit status: 1 if any fuzzer failed (all still run).
set -eu
cd "$(dirname "$0")/.."

FUZZTIME=${FUZZTIME:-30s}
FUZZ=${FUZZ:-.}
PKGS=${PKGS:-./...}
GO=${GO:-go}
LOG=$(mktemp "${TMPDIR:-/tmp}/tokenplug-fuzz.XXXXXX")
trap 'rm -f "$LOG"' EXIT

# go test -list prints a package's matching names, then "ok <package> <time>".
# shellcheck disable=SC2086 # PKGS is a list
targets=$($GO test -list '^Fuzz' $PKGS | awk '
	/^Fuzz/ { names[n++] = $1; next }
	/^ok/   { for (i = 0; i < n; i++) print $2 " " names[i]; n = 0 }' | grep -E " .*($FUZZ)" || true)
if [ -z "$targets" ]; then
	echo "fuzz.sh: no fuzz tests match $FUZZ in $PKGS" >&2
	exit 1
fi

summary=""
failed=0
echo "$targets" | {
	while read -r pkg name; do
		echo "=== $name ($pkg, $FUZZTIME)"
		# shellcheck disable=SC2086 # FUZZFLAGS is a list
		if $GO test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" ${FUZZFLAGS:-} "$pkg" >"$LOG" 2>&1; then
			result=ok
		else
			result=FAIL
			failed=1
		fi
		grep '^fuzz: elapsed: ' "$LOG" | tail -n 1
		grep -v '^fuzz: elapsed: ' "$LOG" || true
		execs=$(sed -n 's/^fuzz: elapsed: .*execs: \([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
		summary="$summary$(printf '%-20s %-50s %12s execs  %s' "$name" "$pkg" "${execs:-?}" "$result")
"
	done
	echo
	printf '%s' "$summary"
	exit "$failed"
}
