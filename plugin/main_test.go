package plugin

import (
	"testing"

	"go.uber.org/goleak"
)

// The gRPC tests start servers and clients; none may outlive its test.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
