package transport_test

import (
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

// bins holds the plugin binaries built once for the package's tests.
var bins = map[string]string{}

func TestMain(m *testing.M) {
	testbin.Main(m, bins, testbin.Plugins("symphony", "fault"))
}
