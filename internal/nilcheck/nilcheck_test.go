package nilcheck_test

import (
	"testing"

	"github.com/tokenplug/tokenplug/internal/nilcheck"
)

type thing struct{}

func TestIs(t *testing.T) {
	var (
		p  *thing
		m  map[string]int
		f  func()
		s  []int
		c  chan int
		st fmtStringer
	)
	for name, tc := range map[string]struct {
		v    any
		want bool
	}{
		"nil":           {nil, true},
		"nil pointer":   {p, true},
		"nil map":       {m, true},
		"nil func":      {f, true},
		"nil slice":     {s, true},
		"nil chan":      {c, true},
		"nil interface": {st, true},
		"pointer":       {&thing{}, false},
		"struct":        {thing{}, false},
		"int zero":      {0, false},
		"string empty":  {"", false},
		"slice":         {[]int{}, false},
	} {
		if got := nilcheck.Is(tc.v); got != tc.want {
			t.Errorf("%s: Is = %v, want %v", name, got, tc.want)
		}
	}
}

type fmtStringer interface{ String() string }
