package emulator

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault describes how an endpoint misbehaves. The zero Fault behaves.
// Status, Garbage and BodySize are tried in that order: the first one set
// decides the answer; with none of them, a Latency delays the normal answer.
type Fault struct {
	Status     int           // answer with this status instead of a token
	RetryAfter time.Duration // with Status (e.g. 429): send Retry-After in seconds
	Body       string        // with Status: answer this body (JSON if it starts with '{') instead of the status text
	Latency    time.Duration // wait this long first (cut short if the client gives up)
	Garbage    bool          // answer 200 with a body no client can parse
	BodySize   int           // answer 200 with a body of this many bytes
	Times      int           // apply to the next Times requests only; 0 means until cleared
}

// Faults holds the fault an endpoint applies. The zero value applies none.
// Safe for concurrent use.
type Faults struct {
	mu        sync.Mutex // guards f and remaining
	f         Fault
	remaining int
}

// Set makes the endpoint misbehave as f describes, from its next request on,
// replacing any fault set before.
func (fs *Faults) Set(f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f, fs.remaining = f, f.Times
}

// Clear makes the endpoint behave again.
func (fs *Faults) Clear() { fs.Set(Fault{}) }

// next returns the fault for this request and consumes one use of it.
func (fs *Faults) next() Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := fs.f
	if f.Times > 0 {
		fs.remaining--
		if fs.remaining <= 0 {
			fs.f = Fault{}
		}
	}
	return f
}

// apply injects the current fault into a request. It reports whether it
// wrote the response; if not, the endpoint answers normally (after any
// latency).
func (fs *Faults) apply(w http.ResponseWriter, r *http.Request) bool {
	f := fs.next()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return true
		}
	}
	switch {
	case f.Status != 0:
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		writeFaultBody(w, f)
		return true
	case f.Garbage:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<html>\x00\xff not a token {"))
		return true
	case f.BodySize > 0:
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(strings.Repeat("x", f.BodySize)))
		return true
	}
	return false
}

// writeFaultBody answers f.Status with f.Body, or the status text when Body
// is empty.
func writeFaultBody(w http.ResponseWriter, f Fault) {
	if f.Body == "" {
		http.Error(w, http.StatusText(f.Status), f.Status)
		return
	}
	ct := "text/plain; charset=utf-8"
	if strings.HasPrefix(f.Body, "{") {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
}
