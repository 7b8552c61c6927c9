package plugintest

import (
	"context"
	"fmt"
	"maps"
	"os/exec"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/plugin"
)

// instancesPerKind is how many instances with working settings, and as
// many with wrong secrets, the instance check configures at once.
const instancesPerKind = 4

// instanceResult is what one instance got: its id, token and errors.
type instanceResult struct {
	good bool // configured with the working settings
	id   string
	tok  *oauth2.Token
	err  error
}

// checkInstances checks that a plugin serving many provider instances in
// one process (multi_instance) keeps them apart: instances with working
// settings, configured and fetching at the same time as instances with
// wrong secrets, each get a token; no instance's error quotes another's
// secret or token; a released instance serves no more tokens, and the
// others keep working. A plugin that does not serve many instances is
// logged, not failed: hosts run one process per provider for it.
func checkInstances(t reporter, bin string, desc plugin.Description, settings map[string]string, h *harness, step func() (context.Context, context.CancelFunc)) {
	t.Helper()
	ctx, cancel := step()
	defer cancel()
	cmd := exec.Command(bin)
	cmd.Env = h.proxy.env()
	p, c, err := launch.Start(launch.Config{Cmd: cmd})
	if err != nil {
		t.Errorf("plugin launched directly: %v", err)
		return
	}
	defer p.Kill()
	if _, multi, err := c.DescribeInstances(ctx); err != nil {
		t.Errorf("describe: %v", err)
		return
	} else if !multi {
		t.Logf("the plugin serves one provider per process (built with an SDK from before multi_instance): hosts start a process per provider")
		return
	}
	wrong, markers := wrongSecrets(desc, settings)
	results := runInstances(ctx, c, settings, wrong)
	secrets := secretsOf(desc, settings)
	maps.Copy(secrets, markers)
	for i, r := range results {
		if r.good && r.err != nil {
			t.Errorf("instance %d (working settings, next to instances with wrong secrets): %v", i, r.err)
		}
		if r.good && r.tok != nil {
			checkToken(t, r.tok, time.Now())
			h.addToken(r.tok)
		}
	}
	maps.Copy(secrets, h.tokenSecrets())
	for i, r := range results {
		if r.err != nil {
			checkNoSecrets(t, fmt.Sprintf("the error of instance %d", i), r.err.Error(), secrets)
		}
	}
	checkRelease(ctx, t, c, results)
}

// runInstances configures instancesPerKind instances with settings, then
// as many with wrong (each kind all at once), then fetches a token for
// every instance at once. A plugin that keeps settings per process, not
// per instance, then fetches for the working instances with the wrong
// secrets.
func runInstances(ctx context.Context, c launch.Conn, settings, wrong map[string]string) []instanceResult {
	results := make([]instanceResult, 2*instancesPerKind)
	for i := range instancesPerKind {
		results[i].good = true
	}
	each := func(f func(r *instanceResult)) {
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() { f(&results[i]) })
		}
		wg.Wait()
	}
	for _, good := range []bool{true, false} {
		each(func(r *instanceResult) {
			if r.good != good {
				return
			}
			s := wrong
			if good {
				s = settings
			}
			r.id, r.err = c.NewInstance(ctx, s)
		})
	}
	each(func(r *instanceResult) {
		if r.err == nil {
			r.tok, r.err = c.InstanceToken(ctx, r.id, false)
		}
	})
	return results
}

// checkRelease releases the first working instance and checks that it
// serves no more tokens while another still does.
func checkRelease(ctx context.Context, t reporter, c launch.Conn, results []instanceResult) {
	var ids []string
	for _, r := range results {
		if r.good && r.err == nil {
			ids = append(ids, r.id)
		}
	}
	if len(ids) < 2 {
		return // reported above
	}
	if err := c.Release(ctx, ids[0]); err != nil {
		t.Errorf("Release of an instance: %v", err)
	}
	if _, err := c.InstanceToken(ctx, ids[0], false); err == nil {
		t.Errorf("a released instance still serves tokens")
	}
	if _, err := c.InstanceToken(ctx, ids[1], false); err != nil {
		t.Errorf("an instance stopped working after another was released: %v", err)
	}
}
