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

func TestLineWriterDropsALineOverTheLimitWholeAndBoundsItsMemory(t *testing.T) {
	var got []string
	w := &lineWriter{emit: func(l string) { got = append(got, l) }}
	secret := "s3cr3t-cut-at-the-limit"
	// A line over the limit, with a secret across the limit, in chunks as
	// go-plugin sends them; then a short line.
	long := strings.Repeat("x", maxLine-5) + secret + strings.Repeat("y", 3000)
	for b := []byte(long + "\nnext\n"); len(b) > 0; {
		n := min(1024, len(b))
		w.Write(b[:n])
		if len(w.partial) > maxLine {
			t.Fatalf("holding %d bytes, over the limit", len(w.partial))
		}
		b = b[n:]
	}
	want := []string{tooLong(len(long)), "next"}
	if !slices.Equal(got, want) {
		t.Fatalf("lines = %.80q, want %q", got, want)
	}
	for _, l := range got {
		if strings.Contains(l, "s3cr3t") || strings.Contains(l, "xxx") {
			t.Errorf("a piece of the long line was emitted: %.80q", l)
		}
	}
	// A long line the plugin never ends is reported at flush.
	got = nil
	w.Write([]byte(strings.Repeat("z", maxLine+1)))
	if len(got) != 0 {
		t.Fatalf("emitted before the line ended: %.80q", got)
	}
	w.flush()
	if want := []string{tooLong(maxLine + 1)}; !slices.Equal(got, want) {
		t.Fatalf("after flush, lines = %q, want %q", got, want)
	}
}

func TestLongLinePiecesAreSwallowedAndCountedOnce(t *testing.T) {
	var l longLine
	piece := strings.Repeat("p", maxLine)
	for i, step := range []struct {
		msg   string
		piece bool
		whole int
	}{
		{"short", false, 0},
		{piece, true, 0},
		{piece, true, 0},
		{"tail", true, 2*maxLine + 4},
		{"after", false, 0},
		// A line of exactly two buffers ends with an empty piece.
		{piece, true, 0},
		{"", true, maxLine},
		{"", false, 0},
	} {
		isPiece, whole := l.piece(step.msg)
		if isPiece != step.piece || whole != step.whole {
			t.Errorf("step %d: piece(%.10q) = %v, %d; want %v, %d", i, step.msg, isPiece, whole, step.piece, step.whole)
		}
	}
}
