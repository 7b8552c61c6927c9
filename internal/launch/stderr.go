package launch

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"time"
)

// cleanStderr returns what go-plugin reads as the plugin's log: r, the
// plugin's stderr, with each JSON line rewritten by cleanLine. go-plugin
// parses a log line with unchecked type assertions: a plugin (or a
// provider logging an attribute named "@message") that writes
// {"@message": 1} would panic the host, taking every provider down. The
// copy ends when r does (the plugin's stderr closes when it exits), and
// go-plugin reads the returned stream to its end before it waits for the
// process: its owner is the plugin's run.
func cleanStderr(r io.ReadCloser) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(copyLines(pw, r)) }()
	return pr
}

// copyLines copies r to w line by line, cleaning every line that fits
// LogBufferSize. A longer line is copied as it is: go-plugin hands its
// pieces to the log unparsed (and the host drops them).
func copyLines(w io.Writer, r io.Reader) error {
	br := bufio.NewReaderSize(r, LogBufferSize)
	long := false // inside a line longer than the buffer
	for {
		line, isPrefix, err := br.ReadLine()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !long && !isPrefix {
			line = cleanLine(line)
		}
		if !isPrefix {
			line = append(line, '\n')
		}
		long = isPrefix
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
}

// hclogTime is the layout of hclog's @timestamp, the only one go-plugin
// parses.
const hclogTime = "2006-01-02T15:04:05.000000Z07:00"

// cleanLine returns line in a form go-plugin parses without panicking: a
// JSON object's @message, @level and @timestamp become strings of the
// types and layout go-plugin asserts (a @message of another type becomes
// its JSON text; a @level or @timestamp that is not one is dropped), and
// every other value stays. A line that is not a JSON object (or one that
// encoding/json cannot decode: a number beyond float64, nesting beyond its
// limit) is returned as it is: go-plugin's own decoding fails the same way
// and logs the line as text.
func cleanLine(line []byte) []byte {
	var m map[string]any
	if json.Unmarshal(line, &m) != nil || m == nil {
		return line
	}
	if v, ok := m["@message"]; ok {
		if _, isString := v.(string); !isString {
			text, _ := json.Marshal(v) // decoded JSON always encodes
			m["@message"] = string(text)
		}
	}
	if _, ok := m["@level"].(string); !ok {
		delete(m, "@level")
	}
	if ts, ok := m["@timestamp"].(string); ok {
		if _, err := time.Parse(hclogTime, ts); err != nil {
			delete(m, "@timestamp")
		}
	} else {
		delete(m, "@timestamp")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep the line's length
	if enc.Encode(m) != nil {
		return line
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
