package syncbuf_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/tokenplug/tokenplug/internal/syncbuf"
)

// TestConcurrentWrites is meant for -race: writers and readers at once,
// and every byte written is there at the end.
func TestConcurrentWrites(t *testing.T) {
	var b syncbuf.Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Fatalf("len = %d, want 800", len(got))
	}
}
