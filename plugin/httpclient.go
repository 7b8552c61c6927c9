package plugin

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokenplug/tokenplug/internal/netguard"
)

// DefaultTimeout bounds a token request whose caller gave no deadline: token
// endpoints answer in well under a second, and a hung connection must not
// hold a refresh forever. A host's context deadline, when shorter, wins.
const DefaultTimeout = 30 * time.Second

// maxRedirects matches net/http's default policy.
const maxRedirects = 10

// defaultClient is the client Do uses when given nil.
var defaultClient = NewHTTPClient(DefaultTimeout)

// ErrCrossOriginRedirect is matched (errors.Is) by the error Do returns when
// an upstream redirected a token request to another origin.
var ErrCrossOriginRedirect = errors.New("redirect to another origin refused")

// NewHTTPClient returns the client a provider should send token requests
// with: a clone of http.DefaultTransport (proxy settings from the
// environment, HTTP/2, connection reuse), timeout as its overall deadline
// (0 means DefaultTimeout) and SameOriginRedirect as its redirect policy, so
// a credential never follows a redirect to another scheme, host or port.
//
// Do applies the same redirect rule to any client it is given; use
// NewHTTPClient also for requests you send without Do.
func NewHTTPClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The conformance kit (plugin/plugintest) keeps providers on loopback
	// while it runs; otherwise the dial is DefaultTransport's.
	tr.DialContext = netguard.Dial(tr.DialContext)
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: SameOriginRedirect,
	}
}

// SameOriginRedirect is an http.Client CheckRedirect policy that follows at
// most 10 redirects, and only within the origin (scheme, host and port) of
// the first request. net/http forwards custom headers (an API key header) to
// any host, replays a form body on 307/308 and keeps Authorization across an
// https to http downgrade on the same host; a token request carries
// credentials in all three, so any change of origin is refused with an error
// matching ErrCrossOriginRedirect. The error names both origins, never a
// path or query.
func SameOriginRedirect(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	from, to := origin(via[0].URL), origin(req.URL)
	if from != to {
		return fmt.Errorf("tokenplug/plugin: upstream redirected %s to %s: %w", from, to, ErrCrossOriginRedirect)
	}
	if len(via) >= maxRedirects {
		return fmt.Errorf("tokenplug/plugin: stopped after %d redirects", maxRedirects)
	}
	return nil
}

// origin returns u's scheme://host:port, with the scheme's default port made
// explicit so that https://a and https://a:443 compare equal.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// withSameOrigin returns client, or a shallow copy of it whose CheckRedirect
// refuses a change of origin before applying client's own policy.
func withSameOrigin(client *http.Client) *http.Client {
	if client == nil {
		return defaultClient
	}
	own := client.CheckRedirect
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := SameOriginRedirect(req, via); err != nil || own == nil {
			return err
		}
		return own(req, via)
	}
	return &c
}
