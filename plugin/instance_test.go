package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/redact"
	"github.com/tokenplug/tokenplug/internal/wire"
)

// echoProvider quotes its "mode" setting back in its errors, as providers
// quote an invalid setting, and its key too (a careless one).
func echoProvider() stubProvider {
	return stubProvider{configure: func(s map[string]string) (oauth2.TokenSource, error) {
		if strings.HasPrefix(s["mode"], "bad") {
			return nil, Errorf("mode", "unknown mode %s (key %s)", s["mode"], s["api_key"])
		}
		return tokenFunc(func(context.Context) (*oauth2.Token, error) {
			return nil, Permanent(errors.New("rejected mode " + s["mode"] + " with key " + s["api_key"]))
		}), nil
	}}
}

func TestAnInstancesErrorsAreScrubbedOfItsOwnSecretsOnly(t *testing.T) {
	c := dial(t, echoProvider())
	const victimKey = "victim-key-0042"
	guesses := "victim-key-0041 victim-key-0042 victim-key-0043"
	if _, err := c.NewInstance(ctx(t), map[string]string{"api_key": victimKey}); err != nil {
		t.Fatal(err)
	}
	id, err := c.NewInstance(ctx(t), map[string]string{"api_key": "attacker-key", "mode": guesses})
	if err != nil {
		t.Fatal(err)
	}
	_, tokErr := c.InstanceToken(ctx(t), id, false)
	_, cfgErr := c.NewInstance(ctx(t), map[string]string{"api_key": "attacker-key", "mode": "bad " + guesses})
	for what, err := range map[string]error{"token": tokErr, "configure": cfgErr} {
		if err == nil {
			t.Fatalf("%s: want an error", what)
		}
		if msg := err.Error(); !strings.Contains(msg, guesses) || strings.Contains(msg, "attacker-key") || !strings.Contains(msg, redact.Mask) {
			t.Errorf("%s: %q: want the guesses verbatim and the instance's own key masked", what, msg)
		}
	}
	if !errors.Is(tokErr, ErrPermanent) || !errors.Is(cfgErr, ErrConfig) {
		t.Errorf("scrubbing lost the classification: %v, %v", tokErr, cfgErr)
	}
}

func TestTheLoggerKeepsTheLineFormatsKeysAndTagsTheInstance(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(lineHandler{slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: hclogAttr})})
	// Attributes named like the format's keys, of the wrong types: "time"
	// made slog's ReplaceAttr panic, "@message" replaced the message.
	l.With("@level", 2.5).InfoContext(withInstance(context.Background(), "inst-1"), "hello",
		"@message", 1, "time", "soon", "msg", 3, "@timestamp", true, wire.InstanceLogKey, "spoofed")
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"@message": "hello", "@level": "info", wire.InstanceLogKey: "inst-1",
		"attr_@message": 1.0, "attr_time": "soon", "attr_msg": 3.0, "attr_@timestamp": true, "attr_@level": 2.5, "attr_" + wire.InstanceLogKey: "spoofed"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v in %s", k, line[k], v, buf.String())
		}
	}
	if _, ok := line["@timestamp"].(string); !ok {
		t.Errorf("@timestamp is not the line's time: %s", buf.String())
	}
}
