package plugin

import (
	"strings"
	"testing"
)

func TestSnippetEscapesAnUpstreamsTerminalControls(t *testing.T) {
	// A 400 body that sets the terminal's title, erases the line, writes
	// the clipboard (OSC 52) and sends a C1 CSI and raw bytes.
	body := "{\"error\":\"bad\x1b]0;pwned\x07\x1b[2K\x1b]52;c;ZXZpbA==\x07\u009b31m\x7f\x9b\"}"
	got := Snippet([]byte(body))
	if strings.ContainsAny(got, "\x1b\x07\x7f\u009b") || strings.Contains(got, "\x9b") {
		t.Fatalf("Snippet(%q) = %q still holds a control character", body, got)
	}
	if !strings.Contains(got, `bad\x1b]0;pwned\x07`) {
		t.Errorf("Snippet(%q) = %q, want the controls escaped, visible", body, got)
	}
	long := strings.Repeat("\x1b", 4*snippetSize)
	if got := Snippet([]byte(long)); len(got) > snippetSize+len("...") {
		t.Errorf("escaping grew the snippet past its size: %d bytes", len(got))
	}
}
