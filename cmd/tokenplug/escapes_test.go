package main

import (
	"strings"
	"testing"
)

// A plugin passes on what a hostile upstream said (an OSC title, an
// erase-line, an OSC 52 clipboard write, a C1 CSI, a DEL): no command
// prints a terminal control.
func TestCommandsPrintNoTerminalEscapeAnUpstreamSent(t *testing.T) {
	dir := faultDir(t, `  hostile:
    plugin: fault
    hosts: ["127.0.0.1"]
    settings: {behavior: escapes}
`)
	for _, args := range [][]string{{"check"}, {"check", "--json"}, {"token", "hostile", "--no-cache"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := tp(t, dir, nil, args...)
			if r.code != 1 {
				t.Errorf("exit status %d, want 1 (the provider fails)", r.code)
			}
			out := r.stdout + r.stderr
			if strings.ContainsAny(out, "\x1b\x07\x7f\u009b") {
				t.Errorf("the output holds a terminal control:\n%q", out)
			}
			if !strings.Contains(out, `]0;pwned`) {
				t.Errorf("the upstream's message never reached the output, so the check proves nothing:\n%q", out)
			}
		})
	}
}

func TestOneLineEscapesControlCharacters(t *testing.T) {
	if got := oneLine("tokenplug: bad\x1b]0;x\x07\n  next \x9b"); got != `tokenplug: bad\x1b]0;x\x07 next \x9b` {
		t.Errorf("oneLine = %q", got)
	}
}
