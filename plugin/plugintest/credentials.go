package plugintest

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/tokenplug/tokenplug/plugin"
)

// A setting whose value a provider sends as a credential must be marked
// Secret, or hosts log and echo it. The kit looks at the requests it sees
// (its own upstream's in RunFaults and Run's faults; in RunProvider, the
// plain-http requests the SDK's clients send to loopback) for the value of
// each setting not marked Secret in a credential's place: the
// Authorization header's credentials (for Basic, the password), a header
// whose name says it holds a credential (X-Api-Key), or a query, form or
// JSON member whose name does (apikey, client_secret, assertion).

// credential is a value a request carries in a credential's place.
type credential struct{ where, value string }

// minCredentialLen is the shortest setting value looked for: shorter ones
// ("us", "1") would match by chance.
const minCredentialLen = 8

// credentialsIn lists the credentials r carries, body being its body.
func credentialsIn(r *http.Request, body []byte) []credential {
	var out []credential
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, cred, _ := strings.Cut(a, " ")
		if strings.EqualFold(scheme, "basic") {
			if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				_, pass, _ := strings.Cut(string(dec), ":")
				cred = pass // RFC 7617 §2: the user-id is not the secret
			}
		}
		out = append(out, credential{"the Authorization header", strings.TrimSpace(cred)})
	}
	for name, vs := range r.Header {
		if !strings.EqualFold(name, "Authorization") && looksSecret(snake(name)) {
			for _, v := range vs {
				out = append(out, credential{"header " + name, v})
			}
		}
	}
	out = append(out, named("query parameter", r.URL.Query())...)
	return append(out, bodyCredentials(r.Header.Get("Content-Type"), body)...)
}

// bodyCredentials lists the members of a form or JSON body whose names
// say they hold a credential.
func bodyCredentials(contentType string, body []byte) []credential {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil
		}
		return named("form field", form)
	case strings.HasSuffix(mt, "json"):
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			return nil
		}
		vals := url.Values{}
		for k, v := range m {
			if s, ok := v.(string); ok {
				vals.Add(k, s)
			}
		}
		return named("JSON member", vals)
	}
	return nil
}

// named lists the values whose keys look secret.
func named(kind string, vals url.Values) []credential {
	var out []credential
	for k, vs := range vals {
		if looksSecret(snake(k)) {
			for _, v := range vs {
				out = append(out, credential{kind + " " + k, v})
			}
		}
	}
	return out
}

// snake turns a header or parameter name into snake_case for looksSecret.
func snake(name string) string {
	return strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(name))
}

// checkSecretFlags reports each setting not marked Secret whose value a
// request carried as a credential.
func checkSecretFlags(t reporter, d plugin.Description, settings map[string]string, reqs []seenRequest) {
	t.Helper()
	secret, reported := secretKeys(d), map[string]bool{}
	for _, r := range reqs {
		for _, c := range credentialsIn(r.req, r.body) {
			for key, v := range settings {
				if secret[key] || reported[key] || len(v) < minCredentialLen || !strings.Contains(c.value, v) {
					continue
				}
				reported[key] = true
				t.Errorf("setting %q is sent as a credential (in %s) but is not marked Secret: set Secret: true, so that hosts keep it out of logs and errors", key, c.where)
			}
		}
	}
}

// seenRequest is a request an upstream received, with its body.
type seenRequest struct {
	req  *http.Request
	body []byte
}

// requestLog keeps the requests an upstream receives. Safe for concurrent
// use.
type requestLog struct {
	mu   sync.Mutex // guards reqs
	reqs []seenRequest
}

// add records r, reading its body and putting it back.
func (l *requestLog) add(r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs = append(l.reqs, seenRequest{req: r.Clone(r.Context()), body: body})
}

func (l *requestLog) all() []seenRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.reqs)
}

// parseRequests reads the HTTP/1 requests in the bytes a client wrote to
// a connection; bytes that are not one (TLS) give none.
func parseRequests(written []byte) []seenRequest {
	var out []seenRequest
	br := bufio.NewReader(bytes.NewReader(written))
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return out
		}
		body, _ := io.ReadAll(req.Body)
		out = append(out, seenRequest{req: req, body: body})
	}
}

// secretKeys maps each key d declares to whether it is Secret.
func secretKeys(d plugin.Description) map[string]bool {
	out := map[string]bool{}
	for _, s := range d.Settings {
		out[s.Key] = s.Secret
	}
	return out
}
