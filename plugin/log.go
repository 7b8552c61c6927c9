package plugin

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/tokenplug/tokenplug/internal/wire"
)

// logger writes hclog-style JSON to stderr, which go-plugin hosts parse and
// re-log at the right level.
var logger = slog.New(lineHandler{slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
	Level:       logLevel(os.Getenv("TOKENPLUG_LOG_LEVEL")),
	ReplaceAttr: hclogAttr,
})})

// Logger returns the logger a provider should use. Lines go to stderr in the
// JSON form go-plugin understands; the host bridges them into its own
// log/slog handler. A line logged with the context the SDK passed to
// Configure or TokenContext (InfoContext(ctx, ...) and friends) names the
// provider instance it belongs to, and the host logs it with that
// provider's name; any other line is the plugin process's, logged with the
// plugin's name. Never log a secret.
func Logger() *slog.Logger { return logger }

// instanceKey is the context key of the provider instance a call is for.
type instanceKey struct{}

// withInstance returns ctx naming instance id ("": the default instance,
// which is the process's only one).
func withInstance(ctx context.Context, id string) context.Context {
	if id == "" {
		return ctx
	}
	return context.WithValue(ctx, instanceKey{}, id)
}

// lineHandler keeps a provider's attributes from taking the place of the
// line format's own keys (a provider logging "@message", 1 or "time",
// "soon" would give its host a line it cannot parse), and tags a line
// logged with an instance's context with wire.InstanceLogKey.
type lineHandler struct{ slog.Handler }

func (h lineHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(renameReserved(a))
		return true
	})
	if id, ok := ctx.Value(instanceKey{}).(string); ok {
		out.AddAttrs(slog.String(wire.InstanceLogKey, id))
	}
	return h.Handler.Handle(ctx, out)
}

func (h lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = renameReserved(a)
	}
	return lineHandler{h.Handler.WithAttrs(out)}
}

func (h lineHandler) WithGroup(name string) slog.Handler {
	return lineHandler{h.Handler.WithGroup(name)}
}

// renameReserved prefixes "attr_" to an attribute named like one of the
// line format's keys: slog's (time, level, msg, source), hclog's
// (@message, @level, @timestamp, @module, @caller) and the instance tag.
func renameReserved(a slog.Attr) slog.Attr {
	switch a.Key {
	case slog.TimeKey, slog.LevelKey, slog.MessageKey, slog.SourceKey,
		"@message", "@level", "@timestamp", "@module", "@caller", wire.InstanceLogKey:
		a.Key = "attr_" + a.Key
	}
	return a
}

func hclogAttr(groups []string, a slog.Attr) slog.Attr {
	if len(groups) > 0 {
		return a
	}
	switch a.Key {
	case slog.TimeKey:
		return slog.String("@timestamp", a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
	case slog.LevelKey:
		return slog.String("@level", strings.ToLower(a.Value.String()))
	case slog.MessageKey:
		return slog.String("@message", a.Value.String())
	}
	return a
}

// logLevel reads TOKENPLUG_LOG_LEVEL, which hclog reads too: slog's names
// (debug, info, warn, error, DEBUG-4) and hclog's trace. Anything else is
// info.
func logLevel(s string) slog.Level {
	if strings.EqualFold(strings.TrimSpace(s), "trace") {
		return slog.LevelDebug - 4 // where the host's bridge puts hclog's trace
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
