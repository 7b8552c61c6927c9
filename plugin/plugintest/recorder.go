package plugintest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
)

// Recorder is an http.Handler that passes each request on to Handler (an
// emulator of the vendor) and keeps the last one, body included, so that
// a test can check what a provider sends: method, headers, form. Safe for
// concurrent use.
type Recorder struct {
	Handler http.Handler

	mu   sync.Mutex // guards last and body
	last *http.Request
	body []byte
}

// ServeHTTP records r and serves it with Handler.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	rec.last, rec.body = r.Clone(context.Background()), b
	rec.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(b))
	rec.Handler.ServeHTTP(w, r)
}

// Last returns the last request received and its body; nil if none came.
// The request's body is already read: use the body returned.
func (rec *Recorder) Last() (*http.Request, string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.last, string(rec.body)
}
