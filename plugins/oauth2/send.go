package oauth2

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

// send posts req and returns the body of a 2xx answer. It follows
// redirects only within the request's origin (plugin.SameOriginRedirect),
// whatever the client's own policy. A non-2xx answer is classified as an
// RFC 6749 §5.2 error when it is one (see errorFor), else by status
// (plugin.CheckStatus); either way secrets are redacted from what the
// server said, and a 2xx body is never quoted.
//
// It does what plugin.Do does, but keeps the error body: Do's message
// would not carry the §5.2 error code and its class.
func (s *TokenSource) send(req *http.Request, secrets []string) ([]byte, error) {
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return nil, s.errorf("token request: %w", transportError(err))
	}
	defer resp.Body.Close()
	body, readErr := plugin.ReadBody(resp.Body, plugin.MaxBodySize)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if readErr != nil {
			return nil, s.errorf("token request: %w", readErr)
		}
		return body, nil
	}
	if e, ok := parseErrorResponse(body); ok {
		after := plugin.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, s.errorf("%w", errorFor(e, resp.Status, resp.StatusCode, after, secrets))
	}
	return nil, s.errorf("token request: %w", plugin.CheckStatus(resp, body, secrets...))
}

// httpClient returns a copy of the configured client (or the SDK's
// default) whose redirect policy refuses a change of origin first.
func (s *TokenSource) httpClient() *http.Client {
	c := s.client
	if c == nil {
		c = defaultClient
	}
	own := c.CheckRedirect
	cp := *c
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := plugin.SameOriginRedirect(req, via); err != nil || own == nil {
			return err
		}
		return own(req, via)
	}
	return &cp
}

var defaultClient = plugin.NewHTTPClient(plugin.DefaultTimeout)

// transportError classifies an error from http.Client.Do as plugin.Do
// does: a refused redirect is Permanent (without the *url.Error around it,
// whose URL is the server's Location); anything else is Temporary.
func transportError(err error) error {
	if errors.Is(err, plugin.ErrCrossOriginRedirect) {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return plugin.Permanent(err)
	}
	return plugin.Temporary(err)
}
