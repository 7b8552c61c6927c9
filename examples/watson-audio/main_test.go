package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugins/iam"
)

func TestMain(m *testing.M) {
	// The registry re-executes this test binary as the iam plugin.
	if len(os.Args) == 2 && os.Args[1] == servePluginArg {
		plugin.Serve(iam.New())
		return
	}
	goleak.VerifyTestMain(m)
}

func TestTheExampleStreamsThroughTheEmulatedGateway(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, config{skillset: "banking", user: "u-42", language: "fr-FR"}, &out)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"hello: skillset=banking userID=u-42 language=fr-FR",
		"sent 3200 bytes of audio, gateway echoed 3200",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTheExampleRefusesANonWebsocketGateway(t *testing.T) {
	err := run(context.Background(), config{gateway: "https://gateway.example", apikey: "k"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "-gateway") {
		t.Errorf("run = %v, want an error about -gateway", err)
	}
}
