package emulator

import (
	"net/url"
	"strconv"
	"strings"
)

// vgOriginAllowed reports whether a browser Origin header value (e.g.
// "https://app.example.com:8443") is allowed by a short-lived JWT's
// audience: "*" allows any origin; "*.example.com" allows any subdomain of
// example.com at any depth, but not example.com itself; any other audience
// must equal the origin's host. An audience without a port ignores the
// origin's port; one with a port (localhost:8088) requires that port, the
// scheme's default when the origin names none. Matching ignores case.
func vgOriginAllowed(aud, origin string) bool {
	if aud == "*" {
		return true
	}
	u, err := url.Parse(origin)
	if origin == "" || err != nil || u.Hostname() == "" {
		return false
	}
	audHost, audPort := vgSplitPort(strings.ToLower(aud))
	if audPort != "" && audPort != vgPort(u) {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if suffix, ok := strings.CutPrefix(audHost, "*"); ok {
		return strings.HasPrefix(suffix, ".") && strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return host == audHost
}

// vgPort returns the origin's port, or its scheme's default.
func vgPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
}

// vgSplitPort splits "host:port" into its parts; without a colon the port
// is empty.
func vgSplitPort(aud string) (host, port string) {
	if i := strings.LastIndexByte(aud, ':'); i >= 0 {
		return aud[:i], aud[i+1:]
	}
	return aud, ""
}

// vgValidAudience accepts "*", and "*.<domain>" or "<host>" optionally
// followed by ":<port>", at most VoicegainMaxAudience characters, where a
// domain is dot-separated labels of letters, digits and inner hyphens.
func vgValidAudience(aud string) bool {
	if aud == "*" {
		return true
	}
	if len(aud) > VoicegainMaxAudience {
		return false
	}
	hostPart, port := vgSplitPort(aud)
	if strings.Contains(aud, ":") && !vgValidPort(port) {
		return false
	}
	domain := strings.TrimPrefix(hostPart, "*.")
	if domain == "" {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if !vgValidLabel(label) {
			return false
		}
	}
	return true
}

// vgValidPort accepts a decimal port from 1 to 65535.
func vgValidPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] != '+' && p[0] != '0'
}

func vgValidLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' { // 63: DNS label limit
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
