package host_test

import (
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

// Two providers share one fault plugin process. A line the plugin logs for
// one of them (the SDK tags it with the instance) names that provider and
// is scrubbed of its secrets; a line of the process names the plugin and
// how many providers it serves.
func TestASharedPluginsLogLinesNameTheProviderTheyBelongTo(t *testing.T) {
	reg, logs := newRegistry(t)
	mustToken(t, faultSource(t, reg, "quiet", "ok", "password", "quiet-secret-1"))
	_, _ = faultSource(t, reg, "chatty", "logsecret", "password", "chatty-secret-2").Token(ctxT(t))
	waitForLogs(t, logs, `msg=fetching`)
	var fetching string
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "msg=fetching") {
			fetching = line
		}
	}
	if !strings.Contains(fetching, "provider=chatty") || strings.Contains(fetching, "chatty-secret-2") {
		t.Errorf("the provider's line does not name it, or shows its secret: %s", fetching)
	}
	if strings.Contains(fetching, "@instance") || strings.Contains(fetching, "plugin=") {
		t.Errorf("the provider's line carries the plugin or the instance id: %s", fetching)
	}
	// A line of the process (untagged, on its log stream), while it
	// serves three providers.
	line := base64.StdEncoding.EncodeToString([]byte("a process-level line"))
	mustToken(t, faultSource(t, reg, "writer", "stderr", "stderr_b64", line))
	waitForLogs(t, logs, "stderr-done")
	process := regexp.MustCompile(`msg="a process-level line" plugin=\S+fault providers=3 `)
	if !process.MatchString(logs.String()) {
		t.Errorf("the process's line does not name the plugin and its 3 providers:\n%s", logs)
	}
}
