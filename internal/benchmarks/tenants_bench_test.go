package benchmarks_test

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// tenantCounts are the provider counts BenchmarkTenants runs:
// $TOKENPLUG_BENCH_TENANTS (comma-separated), else 1, 10 and 100, so that
// make test's one iteration stays cheap; scripts/bench.sh adds 1,000.
func tenantCounts() []int {
	list := os.Getenv("TOKENPLUG_BENCH_TENANTS")
	if list == "" {
		list = "1,10,100"
	}
	var out []int
	for _, s := range strings.Split(list, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// isolatedMax is the largest provider count run with a process per
// provider (impl=isolated, as before processes were shared): each costs a
// whole plugin process.
const isolatedMax = 10

// BenchmarkTenants registers n IAM providers, each with an API key of its
// own, in one registry, and warms them all (Registry.Warm) against the IAM
// emulator. It reports the plugin processes running, their total resident
// memory (VmRSS, MiB) and the wall time until every provider holds a token
// (ms).
//
//   - impl=shared: the providers share one plugin process, one instance
//     each (the default).
//   - impl=isolated: a process per provider (isolate: true), as hosts ran
//     every provider before; only up to isolatedMax providers.
func BenchmarkTenants(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs Linux /proc")
	}
	idp := emulator.StartIAM()
	defer idp.Close()
	for _, n := range tenantCounts() {
		for _, impl := range []string{"shared", "isolated"} {
			if impl == "isolated" && n > isolatedMax {
				continue
			}
			b.Run(fmt.Sprintf("n=%d/impl=%s", n, impl), func(b *testing.B) {
				var procs, rss, ms float64
				for b.Loop() {
					p, r, took := tenants(b, idp, n, impl == "isolated")
					procs, rss, ms = procs+float64(p), rss+r, ms+float64(took)/float64(time.Millisecond)
				}
				b.ReportMetric(0, "ns/op")
				b.ReportMetric(procs/float64(b.N), "procs")
				b.ReportMetric(rss/float64(b.N), "rss-MiB")
				b.ReportMetric(ms/float64(b.N), "warm-ms")
			})
		}
	}
}

// tenants registers and warms n providers and returns the plugin
// processes, their total RSS and how long Warm took.
func tenants(b *testing.B, idp *emulator.IAM, n int, isolate bool) (int, float64, time.Duration) {
	reg := host.NewRegistry(host.WithLogger(slog.New(slog.DiscardHandler)))
	defer reg.Close()
	for i := range n {
		key := fmt.Sprintf("tenant-%d-key", i)
		idp.AddAPIKey(key)
		err := reg.Register(fmt.Sprintf("tenant%d", i), host.ProviderConfig{
			Path: testbin.Path("iam"), Isolate: isolate, Hosts: []string{"api.example.com"},
			Settings: map[string]string{"apikey": key, "token_url": idp.URL + "/identity/token"},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	if err := reg.Warm(b.Context()); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	pids := children(testbin.Path("iam"))
	var rss float64
	for _, pid := range pids {
		rss += statusMiB(b, pid, "VmRSS")
	}
	return len(pids), rss, took
}

// children returns the pids of this process's children running exe.
func children(exe string) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	self := strconv.Itoa(os.Getpid())
	var pids []int
	for _, stat := range stats {
		data, err := os.ReadFile(stat)
		if err != nil {
			continue // exited meanwhile
		}
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) < 2 || fields[1] != self {
			continue
		}
		dir := filepath.Dir(stat)
		if path, err := os.Readlink(filepath.Join(dir, "exe")); err == nil && path == exe {
			pid, _ := strconv.Atoi(filepath.Base(dir))
			pids = append(pids, pid)
		}
	}
	return pids
}
