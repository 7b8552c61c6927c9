package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tokenplug/tokenplug/plugin"
)

// Escapes is what a hostile upstream puts in its answers for the user's
// terminal: an OSC title, an erase-line, an OSC 52 clipboard write, a C1
// control and a DEL.
const Escapes = "\x1b]0;pwned\x07\x1b[2K\x1b]52;c;ZXZpbA==\x07\u009b31m\x7f"

// logStream is the plugin's stderr as the host reads it for the plugin's
// log (plugin.Serve points os.Stderr elsewhere).
var logStream = os.Stderr

// hostile runs the behaviours of a plugin (or an upstream) that attacks
// its host rather than failing: nil for a behaviour that is not one.
//
//   - echo: fails with an error that quotes the label setting, as a
//     provider quotes an invalid setting back (the host must scrub it of
//     this instance's secrets only), and the plugin's pid.
//   - stderr: writes the stderr_b64 bytes to the log stream as they are,
//     then a "stderr-done" line: hostile log lines for the host's parser.
//   - logattrs: logs through the SDK logger with attributes named like
//     the log format's own keys (@message, @level, time, msg), then
//     "logattrs-done".
//   - escapes: fails with an error and logs a line holding Escapes.
func (s *source) hostile(ctx context.Context) error {
	switch s.behavior {
	case "echo":
		return plugin.Permanent(fmt.Errorf("faultplugin: pid %d: upstream rejected label %s with key %s", os.Getpid(), s.label, s.password))
	case "stderr":
		logStream.Write(s.stderr)
		fmt.Fprintln(logStream, "\nstderr-done")
	case "logattrs":
		plugin.Logger().WarnContext(ctx, "hostile attrs", "@message", 1, "@level", 2.5, "@timestamp", true, "@module", []int{1},
			"msg", 3, "time", "soon", "level", map[string]int{"x": 1})
		plugin.Logger().WarnContext(ctx, "logattrs-done")
	case "escapes":
		plugin.Logger().WarnContext(ctx, "upstream said "+Escapes, "body", Escapes)
		return plugin.Permanent(errors.New("faultplugin: upstream said " + Escapes))
	}
	return nil
}
