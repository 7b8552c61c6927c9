package benchmarks_test

import (
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/host"
	pluginlaunch "github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/internal/testbin"
)

// These benchmarks measure one-off costs: each iteration of b.N is one
// whole event (a plugin start, a herd), so -benchtime 1x stays cheap and
// -benchtime 50x gives 50 samples. They report their own metrics and drop
// ns/op, which would mix the event with its setup.

// BenchmarkColdStart starts a plugin and gets its first token. It reports
// the 50th and 99th percentile over b.N starts.
//
//   - impl=host: through a new host.Registry, as a user's first request
//     does: exec, go-plugin handshake with the host's mutual TLS (a P-256
//     certificate made for the plugin, the registry's own made once, then
//     a mutual TLS handshake), describe, configure, health check, fetch.
//   - impl=plain: the same start through internal/launch without TLS
//     (describe, configure, fetch): what the plugin machinery costs
//     without the TLS.
//   - impl=tls: as plain, with the host's mutual TLS (a new identity per
//     start: one more P-256 certificate than impl=host makes).
//   - impl=automtls: as plain, with go-plugin's AutoMTLS (a new P-521 key
//     and certificate on each side), as hosts did before.
func BenchmarkColdStart(b *testing.B) {
	for _, provider := range []string{"fault", "symphony"} {
		for _, impl := range []string{"plain", "tls", "automtls", "host"} {
			b.Run("provider="+provider+"/impl="+impl, func(b *testing.B) {
				var took []time.Duration
				for b.Loop() {
					took = append(took, coldStart(b, provider, impl))
				}
				reportPercentiles(b, took, "ms", time.Millisecond)
			})
		}
	}
}

// coldStart starts provider's plugin the impl way, gets a token, stops the
// plugin, and returns how long the start and the token took.
func coldStart(b *testing.B, provider, impl string) time.Duration {
	ctx := b.Context()
	if impl == "host" {
		reg := newRegistry(b, provider)
		defer reg.Close()
		start := time.Now()
		if _, err := reg.Token(ctx, provider); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	start := time.Now()
	mode := map[string]pluginlaunch.Mode{"plain": pluginlaunch.PlainText, "tls": pluginlaunch.PinnedTLS, "automtls": pluginlaunch.AutoMTLS}[impl]
	kill, rpc, err := launch(ctx, provider, mode)
	if err != nil {
		b.Fatal(err)
	}
	defer kill()
	if _, err := rpc.Token(ctx, false); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkHerd lets n goroutines ask for a token at once when the cached
// one has expired (the clock moved past its expiry). It reports how many
// fetches reached the plugin per herd (the fault plugin numbers its tokens,
// and each iteration starts a fresh plugin: want 1) and the percentiles of
// the goroutines' waits, over all herds.
func BenchmarkHerd(b *testing.B) {
	const n = 1000
	b.Run("n="+strconv.Itoa(n), func(b *testing.B) {
		var waits []time.Duration
		fetches := 0
		for b.Loop() {
			got, w := herd(b, n)
			fetches += got
			waits = append(waits, w...)
		}
		b.ReportMetric(float64(fetches)/float64(b.N), "fetches/op")
		reportPercentiles(b, waits, "ms", time.Millisecond)
	})
}

// herd runs one herd of n on a fresh plugin and returns the number of
// fetches it caused and every goroutine's wait.
func herd(b *testing.B, n int) (int, []time.Duration) {
	// The fault plugin's tokens live 1h by the real clock. Skewing the
	// host's clock by 1h-5s puts the first token past its expiry (1h - 10s
	// margin), and leaves the next one valid for a few seconds, long
	// enough for the herd to see it.
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	reg := newRegistry(b, "fault", host.WithClock(clock))
	defer reg.Close()
	ctx := b.Context()
	if tok, err := reg.Token(ctx, "fault"); err != nil || tok.AccessToken != "tok-1" {
		b.Fatalf("first token %v, %v; want tok-1", tok, err)
	}
	skew.Store(int64(time.Hour - 5*time.Second))

	var (
		ready, done sync.WaitGroup
		release     = make(chan struct{})
		start       time.Time
		waits       = make([]time.Duration, n)
		tokens      = make([]string, n)
	)
	for i := range n {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-release
			tok, err := reg.Token(ctx, "fault")
			waits[i] = time.Since(start)
			if err == nil {
				tokens[i] = tok.AccessToken
			}
		})
	}
	ready.Wait()
	start = time.Now()
	close(release)
	done.Wait()

	last := 1
	for _, t := range tokens {
		k, err := strconv.Atoi(strings.TrimPrefix(t, "tok-"))
		if err != nil {
			b.Fatalf("a goroutine got %q, want tok-<n>", t)
		}
		last = max(last, k)
	}
	return last - 1, waits
}

// BenchmarkPluginRSS starts a plugin, gets its first token, and reports the
// plugin process's resident memory (VmRSS) and its peak (VmHWM) from
// /proc, in MiB.
func BenchmarkPluginRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs Linux /proc")
	}
	for _, provider := range []string{"fault", "symphony"} {
		b.Run("provider="+provider, func(b *testing.B) {
			var rss, hwm float64
			for b.Loop() {
				reg := newRegistry(b, provider)
				if _, err := reg.Token(b.Context(), provider); err != nil {
					b.Fatal(err)
				}
				pid := childRunning(b, testbin.Path(provider))
				rss += statusMiB(b, pid, "VmRSS")
				hwm += statusMiB(b, pid, "VmHWM")
				reg.Close()
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(rss/float64(b.N), "rss-MiB")
			b.ReportMetric(hwm/float64(b.N), "peak-MiB")
		})
	}
}

func newRegistry(b *testing.B, provider string, opts ...host.Option) *host.Registry {
	b.Helper()
	reg := host.NewRegistry(append([]host.Option{host.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err := reg.Register(provider, providerConfig(provider)); err != nil {
		b.Fatal(err)
	}
	return reg
}

// reportPercentiles reports the 50th and 99th percentiles of d in unit,
// and drops ns/op.
func reportPercentiles(b *testing.B, d []time.Duration, unit string, per time.Duration) {
	slices.Sort(d)
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(float64(percentile(d, 0.50))/float64(per), "p50-"+unit)
	b.ReportMetric(float64(percentile(d, 0.99))/float64(per), "p99-"+unit)
}

// percentile returns the nearest-rank q-th percentile of sorted d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(q*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// childRunning returns the pid of the one child of this process running
// the executable exe.
func childRunning(b *testing.B, exe string) int {
	b.Helper()
	pids := children(exe)
	if len(pids) != 1 {
		b.Fatalf("found %d children running %s, want 1", len(pids), exe)
	}
	return pids[0]
}

// statusMiB reads field (VmRSS, VmHWM: in kB) of /proc/<pid>/status.
func statusMiB(b *testing.B, pid int, field string) float64 {
	b.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				b.Fatalf("%s: %q", field, line)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
