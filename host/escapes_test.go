package host_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host"
	"github.com/tokenplug/tokenplug/internal/syncbuf"
)

// rawHandler writes each record's message and attributes as they are, as
// a careless application handler would: what reaches it reaches a
// terminal.
type rawHandler struct{ w *syncbuf.Buffer }

func (rawHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h rawHandler) Handle(_ context.Context, r slog.Record) error {
	fmt.Fprint(h.w, r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprint(h.w, " ", a.Key, "=", a.Value.String()); return true })
	fmt.Fprintln(h.w)
	return nil
}
func (h rawHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		fmt.Fprint(h.w, a.Key, "=", a.Value.String(), " ")
	}
	return h
}
func (h rawHandler) WithGroup(string) slog.Handler { return h }

func TestAnUpstreamsTerminalEscapesReachNeitherTheCallerNorTheLog(t *testing.T) {
	logs := &syncbuf.Buffer{}
	reg, _ := newRegistry(t, host.WithLogger(slog.New(rawHandler{logs})))
	// The fault plugin returns and logs what a hostile upstream said: an
	// OSC title, an erase-line, an OSC 52 clipboard write, a C1 CSI, a DEL.
	_, err := faultSource(t, reg, "esc", "escapes").Token(ctxT(t))
	if err == nil {
		t.Fatal("want the upstream's error")
	}
	waitForLogs(t, logs, "upstream said")
	for where, text := range map[string]string{"error": err.Error(), "log": logs.String()} {
		if strings.ContainsAny(text, "\x1b\x07\x7f\u009b") {
			t.Errorf("the %s holds a terminal control:\n%q", where, text)
		}
		if !strings.Contains(text, `\x1b]0;pwned`) {
			t.Errorf("the %s does not show the escaped sequence:\n%q", where, text)
		}
	}
}
