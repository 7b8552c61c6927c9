package printable_test

import (
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/internal/printable"
)

func TestStringEscapesTerminalControlsAndKeepsText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text stays", "tokenplug: 400 Bad Request\tok äö €", "tokenplug: 400 Bad Request\tok äö €"},
		{"OSC title", "a\x1b]0;pwned\x07b", `a\x1b]0;pwned\x07b`},
		{"erase line", "\x1b[2Kfake", `\x1b[2Kfake`},
		{"OSC 52 clipboard write", "\x1b]52;c;ZXZpbA==\x07", `\x1b]52;c;ZXZpbA==\x07`},
		{"C1 CSI", "x\u009b31my", `x\u009b31my`},
		{"raw 0x9b byte", "x\x9b31my", `x\x9b31my`},
		{"DEL and NUL", "a\x7fb\x00c", `a\x7fb\x00c`},
		{"newlines: no forged log line", "ok\nlevel=ERROR msg=forged\r", `ok\x0alevel=ERROR msg=forged\x0d`},
		{"replacement character stays", "\uFFFD", "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := printable.String(tt.in)
			if got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "\x1b\x07\x00\x7f\u009b\n\r") {
				t.Errorf("String(%q) = %q still holds a control", tt.in, got)
			}
		})
	}
}

func FuzzString(f *testing.F) {
	f.Add("a\x1b]0;t\x07\x9b\u009b\xff\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := printable.String(s)
		for _, r := range got {
			if r < 0x20 && r != '\t' || r == 0x7f || 0x80 <= r && r < 0xa0 {
				t.Fatalf("String(%q) = %q holds %U", s, got, r)
			}
		}
		if !strings.ContainsAny(s, "\\") && printable.String(got) != got {
			t.Fatalf("String is not idempotent on %q", s)
		}
	})
}
