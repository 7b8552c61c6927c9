// Package azure is the tokenplug provider for Azure Cognitive Services
// (Speech and the other Azure AI services that accept issueToken tokens).
//
// In mode "token" (the default) it trades the subscription key for an access
// token at https://<region>.api.cognitive.microsoft.com/sts/v1.0/issueToken,
// as Azure documents: POST, the key in Ocp-Apim-Subscription-Key, an empty
// body; the answer is the JWT as plain text, valid 10 minutes, sent as
// Authorization: Bearer. In mode "key" it makes no request and sends the key
// itself in Ocp-Apim-Subscription-Key on every call, with no expiry.
//
// Settings:
//
//	subscription_key  required, secret: the resource's key
//	region            the resource's region, e.g. westus (token mode)
//	token_url         the issueToken URL; overrides region (for sovereign
//	                  clouds and custom domains); https (plain http to
//	                  loopback only, for emulators)
//	mode              token (default) or key
//
// The binary lives in cmd/tokenplug-azure.
package azure

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// Name is the provider's name; its binary is tokenplug-azure.
const Name = "azure"

// Version is the provider's version.
const Version = "0.1.0"

// Setting keys (user-facing API).
const (
	SettingSubscriptionKey = "subscription_key"
	SettingRegion          = "region"
	SettingTokenURL        = "token_url"
	SettingMode            = "mode"
)

// Modes.
const (
	ModeToken = "token" // exchange the key for a 10-minute bearer token
	ModeKey   = "key"   // send the key itself
)

// KeyHeader is the header Azure reads a subscription key from.
const KeyHeader = "Ocp-Apim-Subscription-Key"

// regionRE is an Azure region name ("westus", "eastus2"): it becomes a DNS
// label of the token URL, so nothing else may get in (no dots, slashes, at
// signs or ports that would point the key at another host). 63 is the DNS
// label limit.
var regionRE = regexp.MustCompile(`^[a-z0-9]{1,63}$`)

// Provider implements plugin.Provider for Azure Cognitive Services. The zero
// value is ready to use and safe for concurrent use.
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
		// Cognitive Services and Speech endpoints, in the public cloud and
		// the sovereign ones (Azure Government .us, Azure China .cn).
		DefaultHosts: []string{
			"*.api.cognitive.microsoft.com", "*.cognitiveservices.azure.com",
			"*.stt.speech.microsoft.com", "*.tts.speech.microsoft.com",
			"*.api.cognitive.microsoft.us", "*.cognitiveservices.azure.us",
			"*.stt.speech.azure.us", "*.tts.speech.azure.us",
			"*.api.cognitive.azure.cn", "*.cognitiveservices.azure.cn",
			"*.stt.speech.azure.cn", "*.tts.speech.azure.cn",
		},
		Settings: []plugin.Setting{
			{Key: SettingSubscriptionKey, Description: "Cognitive Services resource key", Required: true, Secret: true},
			{Key: SettingRegion, Description: "resource region, e.g. westus; gives https://<region>.api.cognitive.microsoft.com/sts/v1.0/issueToken"},
			{Key: SettingTokenURL, Description: "issueToken URL; overrides region"},
			{Key: SettingMode, Description: "token: exchange the key for a bearer token; key: send the key itself", Default: ModeToken},
		},
	}
}

// Configure validates settings and returns a token source. In token mode it
// requests a new token on every call (the host caches); the source also
// implements plugin.ContextTokenSource.
func (p Provider) Configure(_ context.Context, settings map[string]string) (oauth2.TokenSource, error) {
	key := settings[SettingSubscriptionKey]
	var errs plugin.SettingErrors
	if key == "" {
		errs = append(errs, plugin.SettingError{Key: SettingSubscriptionKey, Message: "required"})
	}
	mode := settings[SettingMode]
	if mode == "" {
		mode = ModeToken
	}
	var tokenURL string
	switch mode {
	case ModeKey:
		// No request is made, so region and token_url are not needed.
	case ModeToken:
		var err *plugin.SettingError
		tokenURL, err = issueTokenURL(settings[SettingRegion], settings[SettingTokenURL])
		if err != nil {
			errs = append(errs, *err)
		}
	default:
		errs = append(errs, plugin.SettingError{Key: SettingMode, Message: `must be "token" or "key"`})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if mode == ModeKey {
		return keySource{key: key}, nil
	}
	now := p.now
	if now == nil {
		now = time.Now
	}
	return &tokenSource{client: p.HTTPClient, url: tokenURL, key: key, now: now}, nil
}

// issueTokenURL returns token_url when set, else the region's endpoint.
func issueTokenURL(region, tokenURL string) (string, *plugin.SettingError) {
	if tokenURL != "" {
		u, err := plugin.URL(map[string]string{SettingTokenURL: tokenURL}, SettingTokenURL)
		var se plugin.SettingError
		if errors.As(err, &se) {
			return "", &se
		}
		return u.String(), nil
	}
	switch {
	case region == "":
		return "", &plugin.SettingError{Key: SettingRegion, Message: "required in token mode unless token_url is set"}
	case !regionRE.MatchString(region):
		return "", &plugin.SettingError{Key: SettingRegion, Message: "must be an Azure region name: lowercase letters and digits, e.g. westus"}
	}
	return "https://" + region + ".api.cognitive.microsoft.com/sts/v1.0/issueToken", nil
}
