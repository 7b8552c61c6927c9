package transport

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/tokenplug/tokenplug/hostmatch"
)

// http.Client strips the Authorization header a caller set when a redirect
// leaves the original domain, but it cannot strip what it never saw: this
// Transport adds the header inside RoundTrip, to each hop separately. So the
// Transport makes the decision itself, from the chain of requests that
// http.Client links through Request.Response.

// sameOriginChain reports whether req and every request before it in its
// redirect chain have the same origin: scheme, host name and port. One hop
// elsewhere is enough to lose the token for the rest of the chain, as it is
// for http.Client's own stripping: the other host chose where the client
// goes next. The rule is stricter than http.Client's, which also keeps the
// header for subdomains and for https -> http downgrades.
//
// A chain that cannot be followed (a Response without its Request) fails
// closed.
func sameOriginChain(req *http.Request) bool {
	for r := req; r.Response != nil; {
		prev := r.Response.Request
		if prev == nil || prev.URL == nil || !sameOrigin(prev.URL, req.URL) {
			return false
		}
		r = prev
	}
	return true
}

func sameOrigin(a, b *url.URL) bool {
	ah, ap := hostmatch.HostPort(a)
	bh, bp := hostmatch.HostPort(b)
	ah, bh = strings.TrimSuffix(ah, "."), strings.TrimSuffix(bh, ".") // the FQDN form is the same origin
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(ah, bh) && ap == bp
}
