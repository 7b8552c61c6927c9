package transport_test

import (
	"testing"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

func TestMain(m *testing.M) {
	testbin.Main(m, testbin.Plugins("symphony", "fault", "azure", "oauth2"))
}
