package main

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRunShowsEachBehaviour(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"-> 200 OK: api accepted demo-token-1",
		"2. call another host (out of scope: no token, no fetch)\n   -> 200 OK: elsewhere saw Authorization=\"\"",
		"(token dropped)\n   -> 200 OK: elsewhere saw Authorization=\"\"",
		"one retry\n   -> 200 OK: api accepted demo-token-2",
		"tokens minted: 2",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
