// Package iam is the tokenplug provider for IBM Cloud IAM, the token service
// in front of Watson and the other IBM Cloud APIs. It trades an API key for
// an IAM access token (a JWT, valid one hour) at the IAM token endpoint, as
// IBM documents for the grant type urn:ibm:params:oauth:grant-type:apikey,
// and sends it as Authorization: Bearer.
//
// Settings:
//
//	apikey         required, secret: an IBM Cloud API key
//	token_url      default https://iam.cloud.ibm.com/identity/token; https
//	               (plain http to loopback only, for emulators). A base URL
//	               with no path, such as https://iam.cloud.ibm.com or
//	               https://private.iam.cloud.ibm.com, gets /identity/token
//	               appended, as IBM's SDKs do with the URL they are given
//	               (IBM/go-sdk-core iam_authenticator.go); a URL with a
//	               path is used as given
//	client_id      optional; with client_secret, sent as HTTP Basic auth
//	               (IBM/go-sdk-core's ClientId and ClientSecret)
//	client_secret  optional, secret
//	scope          optional: space-separated IAM scopes, sent as the form
//	               field scope, as IBM/go-sdk-core's IamAuthenticator sends
//	               its Scope; unset sends none
//
// IBM advises renewing at 80% of a token's lifetime; the tokenplug host does
// that by default, so tokens carry no refresh hint. The binary lives in
// cmd/tokenplug-iam.
package iam

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Name is the provider's name; its binary is tokenplug-iam.
const Name = "iam"

// Version is the provider's version.
const Version = "0.1.0"

// DefaultTokenURL is IBM Cloud's public IAM token endpoint.
const DefaultTokenURL = "https://iam.cloud.ibm.com/identity/token"

// TokenPath is the path IBM's SDKs append to a base IAM URL
// (IBM/go-sdk-core iam_authenticator.go, iamAuthOperationPathGetToken).
const TokenPath = "/identity/token"

// Setting keys (user-facing API).
const (
	SettingAPIKey       = "apikey"
	SettingTokenURL     = "token_url"
	SettingClientID     = "client_id"
	SettingClientSecret = "client_secret"
	SettingScope        = "scope"
)

// Provider implements plugin.Provider for IBM Cloud IAM. The zero value is
// ready to use and safe for concurrent use.
type Provider struct {
	// HTTPClient sends token requests. Nil means
	// plugin.NewHTTPClient(plugin.DefaultTimeout). Whatever the client,
	// a redirect to another origin is refused (see plugin.Do).
	HTTPClient *http.Client

	now func() time.Time // nil means time.Now; tests fix it
}

// New returns a Provider with default settings.
func New() Provider { return Provider{} }

// Describe returns the provider's name, version and settings.
func (Provider) Describe() plugin.Description {
	return plugin.Description{
		Name:    Name,
		Version: Version,
		// IBM Cloud's API hosts (IAM, Watson services under
		// *.watson.cloud.ibm.com), and the Watson audio gateway's.
		DefaultHosts: []string{"*.cloud.ibm.com", "*.mybluemix.net"},
		Settings: []plugin.Setting{
			{Key: SettingAPIKey, Description: "IBM Cloud API key", Required: true, Secret: true},
			{Key: SettingTokenURL, Description: "IAM token endpoint; a base URL without a path (https://iam.cloud.ibm.com) gets /identity/token appended, as IBM's SDKs do", Default: DefaultTokenURL},
			{Key: SettingClientID, Description: "client id for HTTP Basic auth (needs client_secret)"},
			{Key: SettingClientSecret, Description: "client secret for HTTP Basic auth (needs client_id)", Secret: true},
			{Key: SettingScope, Description: "space-separated IAM scopes, sent as the form field scope as IBM's go-sdk-core does; unset sends none"},
		},
	}
}

// Configure validates settings and returns a token source that requests a
// new IAM token on every call (the host caches). The source also implements
// plugin.ContextTokenSource.
func (p Provider) Configure(_ context.Context, settings map[string]string) (oauth2.TokenSource, error) {
	var errs plugin.SettingErrors
	if settings[SettingAPIKey] == "" {
		errs = append(errs, plugin.SettingError{Key: SettingAPIKey, Message: "required"})
	}
	tokenURL, err := plugin.URL(map[string]string{SettingTokenURL: cmp.Or(settings[SettingTokenURL], DefaultTokenURL)}, SettingTokenURL)
	var se plugin.SettingError
	if errors.As(err, &se) {
		errs = append(errs, se)
	} else if err == nil && (tokenURL.Path == "" || tokenURL.Path == "/") {
		// A base URL, as IBM's SDKs take it: append the token path.
		tokenURL.Path, tokenURL.RawPath = TokenPath, ""
	}
	id, secret := settings[SettingClientID], settings[SettingClientSecret]
	switch {
	case id != "" && secret == "":
		errs = append(errs, plugin.SettingError{Key: SettingClientSecret, Message: "required when client_id is set"})
	case id == "" && secret != "":
		errs = append(errs, plugin.SettingError{Key: SettingClientID, Message: "required when client_secret is set"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	now := p.now
	if now == nil {
		now = time.Now
	}
	return &tokenSource{
		client: p.HTTPClient, url: tokenURL.String(), now: now,
		apikey: settings[SettingAPIKey], clientID: id, clientSecret: secret,
		scope: strings.Join(strings.Fields(settings[SettingScope]), " "),
	}, nil
}
