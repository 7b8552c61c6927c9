package hostconfig_test

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/hostconfig"
)

// laughs is a billion-laughs-style config: one large value, a list that
// names it a hundred times, and a hundred providers whose hosts name the
// list. About 60 KB of text that reads as 10,000 copies of value.
func laughs(value string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "providers:\n  p0:\n    plugin: iam\n    settings:\n      big: &a %s\n    hosts: &h [", value)
	for i := range 100 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*a")
	}
	b.WriteString("]\n")
	for i := 1; i < 100; i++ {
		fmt.Fprintf(&b, "  p%d: {plugin: iam, hosts: *h}\n", i)
	}
	return b.String()
}

// TestAliasedValuesSpendAByteBudget: aliases let a small file name a large
// value many times, and each read of an aliased !!binary or ${VAR} value
// copies it (a 66 KB file allocated about 1 GB). The decoder budgets the
// bytes of every scalar it reads, aliases included, and stops with an
// error naming the file when they run out.
func TestAliasedValuesSpendAByteBudget(t *testing.T) {
	raw := strings.Repeat("x", 36<<10)
	t.Setenv("TP_TEST_BIG", raw)
	for name, value := range map[string]string{
		"!!binary": "!!binary " + base64.StdEncoding.EncodeToString([]byte(raw)),
		"${VAR}":   "${TP_TEST_BIG}",
	} {
		t.Run(name, func(t *testing.T) {
			yaml := laughs(value)
			if len(yaml) > 70<<10 {
				t.Fatalf("the file is %d bytes, want a small one", len(yaml))
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := hostconfig.Parse(strings.NewReader(yaml), "laughs.yaml")
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "tokenplug: config laughs.yaml") || !strings.Contains(err.Error(), "bytes of values") {
				t.Errorf("Parse = %v, want an error naming the file and the byte budget", err)
			}
			if err != nil && strings.Contains(err.Error(), raw[:64]) {
				t.Error("the error quotes the value")
			}
			if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 50 {
				t.Errorf("Parse allocated %d MB, want < 50 MB", mb)
			}
		})
	}
}
