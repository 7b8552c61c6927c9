package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunShowsRetryStreamRefusalAndUnknownProvider(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	got := out.String()
	// In this order: the revoked token is rejected, replaced, and the
	// retry succeeds; the stream reuses the good token; plaintext is
	// refused with nothing fetched; an unknown provider is named.
	want := []string{
		"server: rejected token #1",
		"server: accepted token #2",
		"client: Check -> SERVING (tokens minted: 2)",
		"client: Watch -> SERVING",
		"(tokens fetched: 0)",
		`client: -> Unauthenticated: tokenplug/grpccreds: configuration error: no provider named "nope"`,
		"client: tokens minted in all: 2", // the stream reused the second
	}
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q after the earlier lines:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
	if strings.Contains(got, "demo-token-") {
		t.Errorf("output contains a token:\n%s", got)
	}
}
