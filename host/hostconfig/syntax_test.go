package hostconfig

import (
	"strings"
	"testing"
)

// A YAML syntax error is reported at the line where the problem is, not
// where its enclosing block starts (yaml.v3 says line 1 for all of these).
func TestSyntaxErrorsNameTheProblemLine(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"providers:\n  a:\n    plugin: iam\n   hosts: [x]\n", "t.yaml:4: did not find expected key"},
		{"providers:\n  a:\n    plugin: iam\n    hosts: [x]\n  b:\n    plugin: iam\n bad: 1\n", "t.yaml:7: did not find expected key"},
		{"providers:\n  a:\n    plugin: iam\n      hosts: [x]\n", "t.yaml:4: mapping values are not allowed"},
		{"a: 1\nb: [\n", "t.yaml:2:"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.yaml), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
