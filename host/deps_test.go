package host_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A program that builds its Registry in code must not link what only the
// configuration file needs: the YAML parser and the Redis client come with
// package hostconfig and package rediscache, never with host. Nor the
// OpenTelemetry SDK: host uses its API only, the application brings the SDK.
func TestImportingHostLinksNeitherRedisNorYAML(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/redis/go-redis", "go.yaml.in/yaml", "gopkg.in/yaml", "/host/rediscache", "/host/hostconfig", "go.opentelemetry.io/otel/sdk"} {
			if strings.Contains(pkg, banned) {
				t.Errorf("host depends on %s", pkg)
			}
		}
	}
}
