package tokenplug_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The senders' dependency list is part of their API (issue 18 item 1): a
// program that puts tokens on HTTP or gRPC requests must not link the plugin
// machinery, the shared cache or the config loader. grpccreds used to import
// plugin for its error kinds, and so go-plugin, hclog and yamux.
func TestSendersDoNotLinkTheHost(t *testing.T) {
	heavy := []string{"github.com/hashicorp/go-plugin", "github.com/hashicorp/go-hclog", "github.com/hashicorp/yamux", "github.com/redis/go-redis", "yaml"}
	for _, pkg := range []string{"./transport", "./grpccreds"} {
		for _, dep := range goListDeps(t, pkg) {
			for _, h := range heavy {
				if strings.Contains(dep, h) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}

// The core imports nothing else from this module, and outside the standard
// library only golang.org/x/oauth2.
func TestCoreImportsOnlyOAuth2(t *testing.T) {
	for _, dep := range goListDeps(t, ".") {
		if dep == "github.com/tokenplug/tokenplug" || strings.HasPrefix(dep, "golang.org/x/oauth2") {
			continue
		}
		t.Errorf("the core package depends on %s", dep)
	}
}

// goListDeps returns the non-standard packages pkg depends on.
func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}
