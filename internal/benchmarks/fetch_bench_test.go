package benchmarks_test

import (
	"context"
	"fmt"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	pluginlaunch "github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/symphony"
)

// BenchmarkFetch gets a new token (no cache) from the same provider three
// ways:
//
//   - impl=inproc: the provider's TokenSource called in this process.
//   - impl=rpc: the plugin connection's Token (internal/launch.Conn), one gRPC call over go-plugin's
//     AutoMTLS connection to the plugin process: the out-of-process cost.
//   - impl=host: host.Source.Token after Invalidate, what a token refresh
//     costs a tokenplug user: the RPC, the plugin health check that precedes
//     every fetch, and the shared-fetch bookkeeping.
//
// provider=fault is the fault plugin, whose Token does nearly nothing, so
// rpc and host measure the plugin machinery alone; its in-process twin is
// faultSource. provider=symphony signs an RS512 JWT with a 2048-bit key:
// there the signature dominates.
func BenchmarkFetch(b *testing.B) {
	for _, provider := range []string{"fault", "symphony"} {
		inproc := inprocSource(b, provider)
		rpc := startPlugin(b, provider)
		_, src := warmSource(b, provider)
		ctx := b.Context()
		b.Run("provider="+provider+"/impl=inproc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mustToken(b)(inproc.Token())
			}
		})
		b.Run("provider="+provider+"/impl=rpc", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				mustToken(b)(rpc.Token(ctx, false))
			}
		})
		b.Run("provider="+provider+"/impl=host", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				src.Invalidate(nil)
				mustToken(b)(src.Token(ctx))
			}
		})
	}
}

func mustToken(b *testing.B) func(*oauth2.Token, error) {
	return func(tok *oauth2.Token, err error) {
		if err != nil || tok == nil || tok.AccessToken == "" {
			b.Fatalf("no token: %v", err)
		}
	}
}

// inprocSource configures provider in this process.
func inprocSource(b *testing.B, provider string) oauth2.TokenSource {
	b.Helper()
	if provider == "fault" {
		return &faultSource{life: time.Hour}
	}
	p := symphony.Provider{}
	settings, err := plugin.ApplySchema(p.Describe(), symphonySettings())
	if err != nil {
		b.Fatal(err)
	}
	ts, err := p.Configure(b.Context(), settings)
	if err != nil {
		b.Fatal(err)
	}
	return ts
}

// faultSource does in process what the fault plugin does with behavior
// "ok": a "tok-<n>" bearer token living life.
type faultSource struct {
	life time.Duration
	n    atomic.Int64
}

func (s *faultSource) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: fmt.Sprintf("tok-%d", s.n.Add(1)), TokenType: "bearer", Expiry: time.Now().Add(s.life)}, nil
}

// startPlugin starts provider's plugin binary as the host does (go-plugin,
// gRPC, mutual TLS), configures it, and returns its client, killed when b
// ends.
func startPlugin(b *testing.B, provider string) pluginlaunch.Conn {
	b.Helper()
	kill, rpc, err := launch(b.Context(), provider, pluginlaunch.PinnedTLS)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(kill)
	return rpc
}

// launch starts provider's plugin through internal/launch with the
// channel mode, describes and configures it, as the host does. kill stops
// it.
func launch(ctx context.Context, provider string, mode pluginlaunch.Mode) (kill func(), rpc pluginlaunch.Conn, err error) {
	cfg := providerConfig(provider)
	p, rpc, err := pluginlaunch.Start(pluginlaunch.Config{Cmd: exec.Command(cfg.Path), Mode: mode})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := rpc.Describe(ctx); err != nil {
		p.Kill()
		return nil, nil, err
	}
	if err := rpc.Configure(ctx, cfg.Settings); err != nil {
		p.Kill()
		return nil, nil, err
	}
	return p.Kill, rpc, nil
}
