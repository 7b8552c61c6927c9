package host

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/tokenplug/tokenplug/internal/launch"
	"github.com/tokenplug/tokenplug/internal/printable"
	"github.com/tokenplug/tokenplug/internal/redact"
	"github.com/tokenplug/tokenplug/plugin"
)

// redactor scrubs a provider's secret setting values out of text that
// crossed the plugin boundary (log lines, error messages). The secrets are
// known once the plugin has described its settings. Safe for concurrent use.
// Encodings of the secrets and the lines of a multi-line secret are
// scrubbed too (see internal/redact).
type redactor struct {
	r     atomic.Pointer[redact.Redactor]
	stale func() // if set, brings r up to date before each use (see pluginProc)
}

func (r *redactor) set(secrets []string) { r.r.Store(redact.New(secrets...)) }

// redact returns s, text from a plugin, with the secrets scrubbed and then
// its control characters escaped (see internal/printable): an upstream's
// terminal escapes reach neither a log nor a caller's error.
func (r *redactor) redact(s string) string {
	if r.stale != nil {
		r.stale()
	}
	return printable.String(r.r.Load().String(s))
}

// redactErr returns err with secrets scrubbed from its text, keeping its
// classification (plugin.Kind, retry-after) reachable through errors.Is/As.
// Setting errors are rebuilt with scrubbed keys and messages, so that
// errors.As cannot hand back what the text hides.
func (r *redactor) redactErr(err error) error {
	if err == nil {
		return nil
	}
	if se, ok := err.(plugin.SettingErrors); ok { // as the plugin client returns them
		clean := make(plugin.SettingErrors, len(se))
		for i, e := range se {
			clean[i] = plugin.SettingError{Key: r.redact(e.Key), Message: r.redact(e.Message)}
		}
		return clean
	}
	if clean := r.redact(err.Error()); clean != err.Error() {
		return &messageError{msg: clean, err: err}
	}
	return err
}

// messageError replaces an error's text and keeps its chain.
type messageError struct {
	msg string
	err error
}

func (e *messageError) Error() string { return e.msg }
func (e *messageError) Unwrap() error { return e.err }

// hclogBridge is the hclog.Logger go-plugin writes plugin output to; it
// forwards every line into log/slog, tagged with the provider it belongs
// to or with the plugin (see lineOwner), with secrets scrubbed from the
// message and every value.
type hclogBridge struct {
	l        *slog.Logger // for level checks
	pp       *pluginProc  // whose lines they are
	stopping *atomic.Bool // set while the host itself stops the plugin
	long     *longLine    // the pieces of an over-long line (see Log)
	name     string
	args     []any
}

func newHCLogBridge(pp *pluginProc, stopping *atomic.Bool) *hclogBridge {
	return &hclogBridge{l: pp.log, pp: pp, stopping: stopping, long: new(longLine)}
}

var hclogToSlog = map[hclog.Level]slog.Level{
	hclog.Trace: slog.LevelDebug - 4,
	hclog.Debug: slog.LevelDebug,
	hclog.Info:  slog.LevelInfo,
	hclog.Warn:  slog.LevelWarn,
	hclog.Error: slog.LevelError,
}

func (b *hclogBridge) Log(level hclog.Level, msg string, args ...any) {
	sl, ok := hclogToSlog[level]
	if !ok {
		sl = slog.LevelInfo
	}
	if b.stopping.Load() && sl > slog.LevelDebug && strings.HasPrefix(msg, "plugin process exited") {
		// go-plugin reports a non-zero exit as an error, including the
		// kill the host itself just ordered.
		sl = slog.LevelDebug
	}
	if level == hclog.Debug {
		if isPiece, whole := b.long.piece(msg); isPiece {
			if whole > 0 {
				b.l.Warn("plugin log line dropped", "line", tooLong(whole))
			}
			return
		}
	}
	ctx := context.Background()
	if !b.l.Enabled(ctx, sl) {
		return
	}
	id, args := instanceOf(append(append([]any{}, b.args...), args...))
	log, red := b.pp.lineOwner(id)
	all := make([]any, 0, len(args)+2)
	if b.name != "" {
		all = append(all, "plugin_logger", b.name)
	}
	for _, a := range args {
		all = append(all, redactValue(red, a))
	}
	log.Log(ctx, sl, red.redact(msg), all...)
}

// redactValue keeps a value's type unless its text holds a secret or a
// control character.
func redactValue(red *redactor, a any) any {
	text := fmt.Sprint(a)
	if clean := red.redact(text); clean != text {
		return clean
	}
	return a
}

func (b *hclogBridge) Trace(msg string, args ...any) { b.Log(hclog.Trace, msg, args...) }
func (b *hclogBridge) Debug(msg string, args ...any) { b.Log(hclog.Debug, msg, args...) }
func (b *hclogBridge) Info(msg string, args ...any)  { b.Log(hclog.Info, msg, args...) }
func (b *hclogBridge) Warn(msg string, args ...any)  { b.Log(hclog.Warn, msg, args...) }
func (b *hclogBridge) Error(msg string, args ...any) { b.Log(hclog.Error, msg, args...) }

func (b *hclogBridge) enabled(l hclog.Level) bool {
	return b.l.Enabled(context.Background(), hclogToSlog[l])
}
func (b *hclogBridge) IsTrace() bool { return b.enabled(hclog.Trace) }
func (b *hclogBridge) IsDebug() bool { return b.enabled(hclog.Debug) }
func (b *hclogBridge) IsInfo() bool  { return b.enabled(hclog.Info) }
func (b *hclogBridge) IsWarn() bool  { return b.enabled(hclog.Warn) }
func (b *hclogBridge) IsError() bool { return b.enabled(hclog.Error) }

func (b *hclogBridge) ImpliedArgs() []any { return b.args }

func (b *hclogBridge) With(args ...any) hclog.Logger {
	c := *b
	c.args = append(append([]any{}, b.args...), args...)
	return &c
}

func (b *hclogBridge) Name() string { return b.name }

func (b *hclogBridge) Named(name string) hclog.Logger {
	c := *b
	if c.name != "" {
		name = c.name + "." + name
	}
	c.name = name
	// go-plugin reads each plugin's log through a logger of its own,
	// named after it: a long line's pieces all come through that one.
	c.long = new(longLine)
	return &c
}

func (b *hclogBridge) ResetNamed(name string) hclog.Logger {
	c := *b
	c.name = name
	c.long = new(longLine)
	return &c
}

// SetLevel is ignored: the slog handler decides what is logged.
func (b *hclogBridge) SetLevel(hclog.Level) {}

func (b *hclogBridge) GetLevel() hclog.Level {
	for _, l := range []hclog.Level{hclog.Trace, hclog.Debug, hclog.Info, hclog.Warn} {
		if b.enabled(l) {
			return l
		}
	}
	return hclog.Error
}

func (b *hclogBridge) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(b.StandardWriter(opts), "", 0)
}

func (b *hclogBridge) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		b.Info(strings.TrimRight(string(p), "\n"))
		return len(p), nil
	})
}

// lineWriter hands each complete line written to it to emit. go-plugin
// forwards a plugin's stdout and stderr in chunks of at most 1 KiB that
// may end mid-line, and a secret cut in two would escape redaction, so a
// partial line waits for its end or for flush. A line longer than
// maxLine is not emitted at all, not even in pieces: emit gets one notice
// of its length instead. Safe for concurrent use.
type lineWriter struct {
	emit func(line string)

	mu      sync.Mutex // guards partial and dropped
	partial []byte
	dropped int // bytes of the current line, once it is over maxLine
}

// maxLine bounds a line held back waiting for its end, as go-plugin
// bounds a plugin's log line.
const maxLine = launch.LogBufferSize

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		chunk := b
		if i >= 0 {
			chunk = b[:i]
		}
		if w.dropped > 0 || len(w.partial)+len(chunk) > maxLine {
			w.dropped += len(w.partial) + len(chunk)
			w.partial = w.partial[:0]
		} else {
			w.partial = append(w.partial, chunk...)
		}
		if i < 0 {
			break
		}
		w.endLine()
		b = b[i+1:]
	}
	return n, nil
}

// endLine emits the current line, or the notice of its drop.
func (w *lineWriter) endLine() {
	if w.dropped > 0 {
		w.emit(tooLong(w.dropped))
	} else {
		w.emit(string(w.partial))
	}
	w.dropped = 0
	w.partial = w.partial[:0]
	if cap(w.partial) > 4<<10 {
		w.partial = nil // keep no long line's memory
	}
}

// flush emits a partial line left when the plugin stopped.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 || w.dropped > 0 {
		w.endLine()
	}
}

// tooLong is what is logged instead of a line of n bytes over maxLine: a
// secret in it could be cut where the line was, and escape redaction.
func tooLong(n int) string {
	return fmt.Sprintf("(a line of %d bytes, over the %d KiB limit: not logged)", n, maxLine>>10)
}

// longLine follows a plugin log line longer than launch.LogBufferSize,
// which go-plugin hands to its logger as Debug messages of exactly that
// size, then the rest. The pieces are swallowed, as lineWriter does, and
// one notice stands for them. Safe for concurrent use.
type longLine struct {
	mu sync.Mutex // guards n
	n  int        // bytes of the line so far; 0: not inside a long line
}

// piece reports whether msg, a Debug message, is a piece of a long line,
// and, with its last piece, the length of the whole line.
func (l *longLine) piece(msg string) (isPiece bool, whole int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.n > 0 && len(msg) < launch.LogBufferSize:
		whole, l.n = l.n+len(msg), 0
		return true, whole
	case l.n > 0 || len(msg) >= launch.LogBufferSize:
		l.n += len(msg)
		return true, 0
	}
	return false, 0
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
