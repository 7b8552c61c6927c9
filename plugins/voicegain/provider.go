package voicegain

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Name is the provider's name; its binary is tokenplug-voicegain.
const Name = "voicegain"

// Version is the provider's version.
const Version = "0.1.0"

// Setting keys (user-facing API) and their values.
const (
	KeyJWT      = "jwt"
	KeyMode     = "mode"
	KeyAPIURL   = "api_url"
	KeyAudience = "audience"
	KeyLifetime = "lifetime"

	ModeStatic     = "static"
	ModeShortLived = "short_lived"

	// DefaultAPIURL is Voicegain's public API.
	DefaultAPIURL = "https://api.voicegain.ai/v1"
	// DefaultLifetime of a short-lived JWT: long enough that the host renews
	// it a few times an hour at most, short enough that a copy leaked from a
	// browser is soon useless.
	DefaultLifetime = 10 * time.Minute
	defaultLifetime = "10m" // DefaultLifetime as the schema shows it
	// MaxLifetime bounds lifetime: Voicegain's GET /security/jwt takes
	// expInSec from 1 to 3600 (voicegain/python-sdk security_api.py) and
	// refuses more with a 400, which would fail every Token permanently.
	MaxLifetime = time.Hour
	// MaxAudience is the longest audience Voicegain takes, in characters
	// (voicegain/python-sdk security_api.py).
	MaxAudience = 128
)

// Provider is the Voicegain provider. The zero value is ready to use.
// Safe for concurrent use.
type Provider struct {
	// Client sends requests in mode short_lived; nil means
	// plugin.NewHTTPClient(plugin.DefaultTimeout). Whatever the client, a
	// redirect to another origin is refused (see plugin.Do).
	Client *http.Client
}

// New returns a Provider with default settings.
func New() Provider { return Provider{} }

// Describe returns the provider's settings schema.
func (Provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    Name,
		Version: Version,
		// Voicegain's API and websocket hosts.
		DefaultHosts: []string{"*.voicegain.ai"},
		Settings: []plugin.Setting{
			{Key: KeyJWT, Required: true, Secret: true,
				Description: "console JWT from the Voicegain console (Settings > API Security)"},
			{Key: KeyMode, Default: ModeStatic,
				Description: "static: send the console JWT; short_lived: exchange it for a JWT limited to audience and lifetime"},
			{Key: KeyAPIURL, Default: DefaultAPIURL, Description: "Voicegain API base URL"},
			{Key: KeyAudience,
				Description: "short_lived: browser origin host the JWT is for, optionally with a port: app.example.com, localhost:8088, *.example.com or *; at most 128 characters"},
			{Key: KeyLifetime, Default: defaultLifetime,
				Description: "short_lived: lifetime of each JWT (Go duration, whole seconds, 1s to 1h as Voicegain allows)"},
		},
	}
}

// Configure validates settings and returns a token source for the mode.
func (p Provider) Configure(_ context.Context, settings map[string]string) (oauth2.TokenSource, error) {
	cfg, err := parseSettings(settings, time.Now())
	if err != nil {
		return nil, err
	}
	if cfg.mode == ModeStatic {
		return &staticSource{jwt: cfg.jwt, exp: cfg.jwtExp, now: time.Now}, nil
	}
	q := url.Values{"aud": {cfg.audience}, "expInSec": {fmt.Sprint(int64(cfg.lifetime / time.Second))}}
	return &shortLivedSource{
		client:   p.Client, // nil: plugin.Do's default client
		console:  cfg.jwt,
		endpoint: strings.TrimRight(cfg.apiURL, "/") + "/security/jwt?" + q.Encode(),
		lifetime: cfg.lifetime,
		now:      time.Now,
	}, nil
}

type config struct {
	jwt      string
	jwtExp   time.Time // zero: the console JWT has no exp
	mode     string
	apiURL   string
	audience string
	lifetime time.Duration
}

// parseSettings checks every setting and reports all problems at once.
// Settings are read with the schema's defaults for callers that skip
// plugin.ApplySchema.
func parseSettings(s map[string]string, now time.Time) (config, error) {
	cfg := config{
		mode:     or(s[KeyMode], ModeStatic),
		apiURL:   or(s[KeyAPIURL], DefaultAPIURL),
		audience: strings.ToLower(strings.TrimSpace(s[KeyAudience])),
	}
	var errs plugin.SettingErrors
	add := func(key, format string, args ...any) {
		errs = append(errs, plugin.SettingError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	var msg string
	if cfg.jwt, cfg.jwtExp, msg = checkConsoleJWT(s[KeyJWT], now); msg != "" {
		add(KeyJWT, "%s", msg)
	}
	if msg := checkAPIURL(cfg.apiURL); msg != "" {
		add(KeyAPIURL, "%s", msg)
	}
	switch cfg.mode {
	case ModeStatic:
		if cfg.audience != "" {
			add(KeyAudience, "is used only with mode %s; remove it or set mode to %s", ModeShortLived, ModeShortLived)
		}
	case ModeShortLived:
		switch {
		case cfg.audience == "":
			add(KeyAudience, "required with mode %s", ModeShortLived)
		case len(cfg.audience) > MaxAudience:
			add(KeyAudience, "is %d characters; Voicegain takes at most %d", len(cfg.audience), MaxAudience)
		case !validAudience(cfg.audience):
			add(KeyAudience, "%q is not a host (app.example.com), a host with a port (localhost:8088), a wildcard subdomain (*.example.com) or *", cfg.audience)
		}
		var msg string
		if cfg.lifetime, msg = checkLifetime(or(s[KeyLifetime], defaultLifetime)); msg != "" {
			add(KeyLifetime, "%s", msg)
		}
	default:
		add(KeyMode, "%q is not %s or %s", cfg.mode, ModeStatic, ModeShortLived)
	}
	if len(errs) > 0 {
		return config{}, errs
	}
	return cfg, nil
}

func or(v, def string) string {
	if v = strings.TrimSpace(v); v != "" {
		return v
	}
	return def
}

// checkConsoleJWT returns the trimmed console JWT and its exp, or a problem.
// Messages never contain the JWT.
func checkConsoleJWT(raw string, now time.Time) (string, time.Time, string) {
	tok := strings.TrimSpace(raw) // pasted from a console, often with a newline
	switch {
	case tok == "":
		return "", time.Time{}, "required"
	case len(tok) > len("bearer ") && strings.EqualFold(tok[:len("bearer ")], "bearer "):
		return "", time.Time{}, `must be the JWT alone, without the "Bearer " prefix`
	case !isJWT(tok):
		return "", time.Time{}, "is not a JWT (three base64url parts separated by dots, as the Voicegain console shows it)"
	}
	exp, ok := plugin.JWTExpiry(tok)
	if !ok {
		return tok, time.Time{}, ""
	}
	if !exp.After(now) {
		return "", time.Time{}, fmt.Sprintf("expired at %s; generate a new one in the Voicegain console", exp.UTC().Format(time.RFC3339))
	}
	return tok, exp, ""
}

// isJWT reports whether s is a compact JWT with a readable header and claims.
// The signature is Voicegain's to check, not ours.
func isJWT(s string) bool {
	_, _, err := jwt.NewParser().ParseUnverified(s, jwt.MapClaims{})
	return err == nil
}

// checkAPIURL requires https, so the console JWT never crosses a network in
// clear; plain http is allowed to loopback only, for emulators and tests.
func checkAPIURL(raw string) string {
	u, err := plugin.URL(map[string]string{KeyAPIURL: raw}, KeyAPIURL)
	var se plugin.SettingError
	if errors.As(err, &se) {
		return fmt.Sprintf("%q: %s", raw, se.Message)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Sprintf("%q must not have a query or fragment", raw)
	}
	return ""
}

// checkLifetime parses a lifetime. Voicegain takes whole seconds; a fraction
// is dropped.
func checkLifetime(raw string) (time.Duration, string) {
	d, err := plugin.Duration(map[string]string{KeyLifetime: raw}, KeyLifetime)
	var se plugin.SettingError
	switch {
	case errors.As(err, &se):
		return 0, se.Message
	case d <= 0:
		return 0, fmt.Sprintf("%q must be positive", raw)
	case d < time.Second:
		return 0, fmt.Sprintf("%q is under 1s; Voicegain takes whole seconds", raw)
	case d > MaxLifetime:
		return 0, fmt.Sprintf("%q is over 1h, the longest short-lived JWT Voicegain issues (expInSec 1 to 3600); use mode %s for a credential that lasts", raw, ModeStatic)
	}
	return d.Truncate(time.Second), ""
}

// validAudience accepts "*", and "*.<domain>" or "<domain>" optionally
// followed by ":<port>" (Voicegain's own example uses localhost:8088), where
// a domain is dot-separated DNS labels (letters, digits, inner hyphens). aud
// is lower case; its length is checked by the caller.
func validAudience(aud string) bool {
	if aud == "*" {
		return true
	}
	if i := strings.LastIndexByte(aud, ':'); i >= 0 {
		if !validPort(aud[i+1:]) {
			return false
		}
		aud = aud[:i]
	}
	domain := strings.TrimPrefix(aud, "*.")
	if domain == "" || len(domain) > 253 { // 253: the longest DNS name
		return false
	}
	for _, l := range strings.Split(domain, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' { // 63: the longest DNS label
			return false
		}
		for _, c := range l {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				return false
			}
		}
	}
	return true
}

// validPort accepts a decimal port from 1 to 65535 without a sign or
// leading zero.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && p[0] >= '1' && p[0] <= '9'
}
