package host

import (
	"slices"
	"strings"
	"testing"
)

func TestLineWriterHoldsAPartialLineUntilItEnds(t *testing.T) {
	var got []string
	w := &lineWriter{emit: func(l string) { got = append(got, l) }}
	for _, chunk := range []string{"first li", "ne\nsecond", " line\nthi", "rd"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if want := []string{"first line", "second line"}; !slices.Equal(got, want) {
		t.Fatalf("lines = %q, want %q", got, want)
	}
	w.flush()
	if want := []string{"first line", "second line", "third"}; !slices.Equal(got, want) {
		t.Fatalf("after flush, lines = %q, want %q", got, want)
	}
	w.flush()
	if len(got) != 3 {
		t.Fatalf("a second flush emitted again: %q", got)
	}
}

func TestLineWriterBoundsAPartialLine(t *testing.T) {
	var got []string
	w := &lineWriter{emit: func(l string) { got = append(got, l) }}
	w.Write([]byte(strings.Repeat("x", maxPartialLine+1)))
	if len(got) != 1 || len(got[0]) != maxPartialLine+1 {
		t.Fatalf("an endless line is held back: %d lines", len(got))
	}
}
