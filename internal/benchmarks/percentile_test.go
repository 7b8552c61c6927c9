package benchmarks_test

import (
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	d := make([]time.Duration, 100)
	for i := range d {
		d[i] = time.Duration(i + 1)
	}
	for _, tt := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50}, {0.99, 99}, {1, 100}, {0, 1}} {
		if got := percentile(d, tt.q); got != tt.want {
			t.Errorf("percentile(1..100, %v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := percentile(d[:1], 0.99); got != 1 {
		t.Errorf("percentile of one sample = %v, want it", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile of none = %v, want 0", got)
	}
}
