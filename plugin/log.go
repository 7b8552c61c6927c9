package plugin

import (
	"log/slog"
	"os"
	"strings"
)

// logger writes hclog-style JSON to stderr, which go-plugin hosts parse and
// re-log at the right level.
var logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{
	Level:       logLevel(os.Getenv("TOKENPLUG_LOG_LEVEL")),
	ReplaceAttr: hclogAttr,
}))

// Logger returns the logger a provider should use. Lines go to stderr in the
// JSON form go-plugin understands; the host bridges them into its own
// log/slog handler, tagged with the provider's name. Never log a secret.
func Logger() *slog.Logger { return logger }

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
