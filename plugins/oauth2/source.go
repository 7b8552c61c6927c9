package oauth2

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Grant types on the wire.
const (
	grantTypeJWTBearer     = "urn:ietf:params:oauth:grant-type:jwt-bearer"     // RFC 7523 §2.1
	grantTypeTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693 §2.1
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// TokenSource fetches a new token from one token endpoint on every call;
// it keeps no token cache (a host caches and refreshes). It implements
// oauth2.TokenSource, plugin.ContextTokenSource and
// plugin.ChallengeTokenSource. Safe for concurrent use: the configuration
// is fixed by NewTokenSource; the discovered endpoint is an atomic pointer;
// the refresh token is guarded by refresh.
type TokenSource struct {
	cfg    Config
	client *http.Client
	sign   jwt.SigningMethod // nil when there is no key

	tokenURL atomic.Pointer[string] // TokenURL, or the discovered endpoint once known
	refresh  *refresher             // nil unless GrantRefreshToken
}

func newTokenSource(cfg Config, client *http.Client) (*TokenSource, error) {
	s := &TokenSource{cfg: cfg, client: client, sign: cfg.signerFor()}
	if cfg.TokenURL != "" {
		u := cfg.TokenURL
		s.tokenURL.Store(&u)
	}
	if cfg.Grant == GrantRefreshToken {
		s.refresh = newRefresher(cfg.RefreshToken)
	}
	return s, nil
}

// request is what varies between a default fetch and a challenged one.
type request struct {
	scope  string // space-separated; empty sends none
	claims string // a JSON claims request; empty sends none
}

// Token fetches a token, bounded only by the client's timeout.
func (s *TokenSource) Token() (*oauth2.Token, error) { return s.TokenContext(context.Background()) }

// TokenContext fetches a token with the configured scope, bounded by ctx.
func (s *TokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	return s.fetch(ctx, request{scope: s.cfg.Scope})
}

// fetch sends one token request. With GrantRefreshToken it holds the
// refresher for the whole exchange: a refresh token may be good for one
// use only (RFC 9700 §4.14.2), so two requests must never spend the same
// one, and the rotated one must be in place before the next request.
func (s *TokenSource) fetch(ctx context.Context, r request) (*oauth2.Token, error) {
	tokenURL, err := s.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	if s.refresh == nil {
		tok, err := s.exchange(ctx, tokenURL, r, "")
		if tok != nil {
			tok.RefreshToken = "" // other grants do not use one
		}
		return tok, err
	}
	rt, release, err := s.refresh.acquire(ctx)
	if err != nil {
		return nil, s.errorf("wait for the refresh token in use: %w", plugin.Temporary(err))
	}
	tok, err := s.exchange(ctx, tokenURL, r, rt)
	if err != nil {
		// A refused answer may still have rotated the refresh token:
		// keep the new one, never spend the old one again.
		release(rotatedBy(err))
		return nil, err
	}
	next := tok.RefreshToken
	release(next)
	tok.RefreshToken = "" // kept here and by the host's settings, not on the token
	if next != "" && next != rt {
		// RFC 6749 §6: the server may issue a new refresh token and revoke
		// the old one. Ask the host to keep it across restarts.
		tok = plugin.WithSettingsUpdate(tok, map[string]string{SettingRefreshToken: next})
	}
	return tok, nil
}

// exchange builds, sends and parses one token request. rt is the refresh
// token to spend (GrantRefreshToken only).
func (s *TokenSource) exchange(ctx context.Context, tokenURL string, r request, rt string) (*oauth2.Token, error) {
	secrets := &secretList{}
	secrets.add(s.cfg.ClientSecret, rt)
	secrets.add(s.cfg.Secrets...)
	form, err := s.grantForm(tokenURL, rt, secrets)
	if err != nil {
		return nil, err
	}
	basic, err := s.authenticate(form, tokenURL, secrets)
	if err != nil {
		return nil, err
	}
	s.addParams(form, r)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, s.errorf("build request: %w", plugin.Permanent(err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic {
		// RFC 6749 §2.3.1: form-encode id and secret, then base64 them.
		req.SetBasicAuth(url.QueryEscape(s.cfg.ClientID), url.QueryEscape(s.cfg.ClientSecret))
	}
	received := s.cfg.Now()
	body, err := s.send(req, secrets.list)
	if err != nil {
		return nil, err
	}
	tok, err := parseTokenResponse(body, received, s.cfg.DefaultLifetime, secrets.list)
	if err != nil {
		return nil, s.errorf("token response: %w", err)
	}
	return tok, nil
}

// addParams adds the request's parameters after the grant's own: scope
// (RFC 6749 §3.3), audience (RFC 8693 §2.1), resource (RFC 8707 §2),
// claims (OpenID Connect Core §5.5, as MSAL sends a claims challenge), and
// the configuration's extra parameters.
func (s *TokenSource) addParams(form url.Values, r request) {
	for k, v := range map[string]string{"scope": r.scope, "audience": s.cfg.Audience, "resource": s.cfg.Resource, "claims": r.claims} {
		if v != "" {
			form.Set(k, v)
		}
	}
	for k, vs := range s.cfg.Params {
		form[k] = append(form[k], vs...)
	}
}

// grantForm returns the form of the configured grant.
func (s *TokenSource) grantForm(tokenURL, rt string, secrets *secretList) (url.Values, error) {
	switch s.cfg.Grant {
	case GrantJWTBearer:
		a, err := s.grantAssertion(tokenURL)
		if err != nil {
			return nil, err
		}
		secrets.add(a)
		return url.Values{"grant_type": {grantTypeJWTBearer}, "assertion": {a}}, nil
	case GrantRefreshToken:
		return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, nil
	case GrantTokenExchange:
		return s.exchangeForm(secrets)
	default:
		return url.Values{"grant_type": {"client_credentials"}}, nil
	}
}

// exchangeForm is RFC 8693 §2.1's request: the subject token (and actor
// token) read from their files now, as a projected token rotates.
func (s *TokenSource) exchangeForm(secrets *secretList) (url.Values, error) {
	subject, err := s.readToken(SettingSubjectTokenFile, s.cfg.SubjectTokenFile)
	if err != nil {
		return nil, err
	}
	secrets.add(subject)
	form := url.Values{"grant_type": {grantTypeTokenExchange}, "subject_token": {subject}, "subject_token_type": {s.cfg.SubjectTokenType}}
	if s.cfg.ActorTokenFile != "" {
		actor, err := s.readToken(SettingActorTokenFile, s.cfg.ActorTokenFile)
		if err != nil {
			return nil, err
		}
		secrets.add(actor)
		form.Set("actor_token", actor)
		form.Set("actor_token_type", s.cfg.ActorTokenType)
	}
	if s.cfg.RequestedTokenType != "" {
		form.Set("requested_token_type", s.cfg.RequestedTokenType)
	}
	return form, nil
}

// authenticate applies the client authentication method (RFC 6749 §2.3,
// RFC 7523 §2.2) to form; basic reports that the request needs HTTP Basic
// authentication (client_secret_basic).
func (s *TokenSource) authenticate(form url.Values, tokenURL string, secrets *secretList) (basic bool, err error) {
	switch s.cfg.ClientAuth {
	case AuthBasic:
		secrets.add(url.QueryEscape(s.cfg.ClientSecret))
		return true, nil
	case AuthPost:
		form.Set("client_id", s.cfg.ClientID)
		form.Set("client_secret", s.cfg.ClientSecret)
	case AuthPrivateKeyJWT:
		a, err := s.clientAssertion(tokenURL)
		if err != nil {
			return false, err
		}
		secrets.add(a)
		form.Set("client_assertion_type", assertionTypeJWTBearer)
		form.Set("client_assertion", a)
		setIf(form, "client_id", s.cfg.ClientID)
	default: // AuthNone: RFC 6749 §2.3 public client
		setIf(form, "client_id", s.cfg.ClientID)
	}
	return false, nil
}

func setIf(form url.Values, k, v string) {
	if v != "" {
		form.Set(k, v)
	}
}

// errorf returns an error starting with the provider's name.
func (s *TokenSource) errorf(format string, args ...any) error {
	return fmt.Errorf("tokenplug/"+s.cfg.Name+": "+format, args...)
}

// secretList collects the secrets of one request, for redaction of what
// the server answers.
type secretList struct{ list []string }

func (l *secretList) add(secrets ...string) {
	for _, v := range secrets {
		if v = strings.TrimSpace(v); v != "" {
			l.list = append(l.list, v)
		}
	}
}
