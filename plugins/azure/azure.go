// Package azure is the tokenplug provider for Azure Cognitive Services
// (Speech and the other Azure AI services that accept issueToken tokens).
//
// In mode "token" (the default) it trades the subscription key for an access
// token at the issueToken endpoint, as Azure documents (Microsoft Learn,
// Speech service REST API, "How to get an access token"): POST, the key in
// Ocp-Apim-Subscription-Key, an empty body; the answer is the JWT as plain
// text, valid 10 minutes, sent as Authorization: Bearer. In mode "key" it
// makes no request and sends the key itself in Ocp-Apim-Subscription-Key on
// every call, with no expiry. In mode "entra" it gets a Microsoft Entra ID
// token for an application instead (see below).
//
// A token is valid only on the host family that issued it: a regional
// token on that region's hosts, and never in another cloud. So the token
// endpoint follows from the resource, in the forms Azure documents:
//
//   - region (public cloud): https://<region>.api.cognitive.microsoft.com/
//     sts/v1.0/issueToken
//   - endpoint, the resource's custom subdomain endpoint
//     https://<resource>.cognitiveservices.azure.com, as the portal shows
//     it: <endpoint>/sts/v1.0/issueToken
//   - cloud usgov (Azure Government) with a usgov*/usdod* region:
//     https://<region>.api.cognitive.microsoft.us/sts/v1.0/issueToken
//   - cloud china (Azure China) with a china* region:
//     https://<region>.api.cognitive.azure.cn/sts/v1.0/issueToken
//
// (Microsoft Learn: "Authenticate requests to Azure AI services"; "Azure AI
// Speech in sovereign clouds".) A sovereign region given with the public
// cloud, or a public one with a sovereign cloud, is a configuration error
// naming region, not a request to a host that does not exist.
//
// Settings:
//
//	subscription_key  required, secret: the resource's key
//	mode              token (default) or key
//	cloud             public (default), usgov or china
//	region            the resource's region, e.g. westus, usgovvirginia,
//	                  chinaeast2 (token mode; or endpoint)
//	endpoint          the resource's endpoint, https://<resource>.
//	                  cognitiveservices.azure.com (.azure.us, .azure.cn in
//	                  the sovereign clouds), with no path; instead of region
//	token_url         the issueToken URL itself, for a proxy or an
//	                  emulator; overrides region; https (plain http to
//	                  loopback only)
//
// Mode entra (Microsoft Learn, "Authenticate with Microsoft Entra ID",
// Azure AI services; Microsoft identity platform, "client credentials
// flow") sends the client credentials flow to
// https://<login host>/<tenant_id>/oauth2/v2.0/token, the login host of
// the cloud (login.microsoftonline.com, login.microsoftonline.us,
// login.chinacloudapi.cn; token_url overrides), for the scope
// https://cognitiveservices.azure.com/.default (.azure.us, .azure.cn),
// with one credential, as MSAL sends each: client_secret in the form body,
// client_certificate_file (private_key_jwt with the x5t#S256 header) or
// federated_token_file (workload identity, read at every fetch). It
// answers Entra ID's claims challenges (continuous access evaluation) with
// the claims parameter, as MSAL does, and scope challenges only within
// challenge_scopes:
//
//	tenant_id                entra: directory id or domain
//	client_id                entra: application id
//	client_secret            entra, secret; or one of the two below
//	client_certificate_file  entra: PEM certificate and private key
//	federated_token_file     entra: a federated token's file
//	scope                    entra: default the cloud's Cognitive Services
//	challenge_scopes         entra: scopes a challenge may add
//
// The plugin declares the Cognitive Services and Speech hosts of all three
// clouds as its default hosts (Describe cannot see the cloud setting), and
// narrows them to the configured cloud's (DefaultHostsFor): with no hosts
// configured, a public-cloud provider's token goes to the public cloud's
// hosts only, never to Azure Government's or Azure China's.
//
// The binary lives in cmd/tokenplug-azure.
package azure

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
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
	SettingCloud           = "cloud"
	SettingEndpoint        = "endpoint"
)

// Modes.
const (
	ModeToken = "token" // exchange the key for a 10-minute bearer token
	ModeKey   = "key"   // send the key itself
)

// KeyHeader is the header Azure reads a subscription key from.
const KeyHeader = "Ocp-Apim-Subscription-Key"

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
		// the sovereign ones (Azure Government .us, Azure China .cn); a
		// configuration narrows them to its cloud (DefaultHostsFor).
		DefaultHosts: allDefaultHosts(),
		Settings: []plugin.Setting{
			{Key: SettingSubscriptionKey, Description: "Cognitive Services resource key (modes token and key)", Secret: true},
			{Key: SettingCloud, Default: CloudPublic,
				Description: "public, usgov (Azure Government, *.api.cognitive.microsoft.us) or china (Azure China, *.api.cognitive.azure.cn): the cloud of region and endpoint"},
			{Key: SettingRegion, Description: "resource region, e.g. westus; gives https://<region>.api.cognitive.microsoft.com/sts/v1.0/issueToken (the cloud's host for usgov, china)"},
			{Key: SettingEndpoint, Description: "resource endpoint https://<resource>.cognitiveservices.azure.com (custom subdomain); gives <endpoint>/sts/v1.0/issueToken; instead of region"},
			{Key: SettingTokenURL, Description: "issueToken URL itself, for a proxy or emulator; overrides region"},
			{Key: SettingMode, Description: "token: exchange the key for a bearer token; key: send the key itself; entra: a Microsoft Entra ID token for an app (tenant_id, client_id and a credential)", Default: ModeToken},
			{Key: SettingTenantID, Description: "entra: the directory (tenant) id or domain; gives https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token (the cloud's login host for usgov, china)"},
			{Key: SettingClientID, Description: "entra: the application (client) id"},
			{Key: SettingClientSecret, Description: "entra: a client secret, sent in the form body as MSAL does; or client_certificate_file or federated_token_file", Secret: true},
			{Key: SettingClientCertificateFile, Description: "entra: PEM file with the app's certificate and private key (private_key_jwt with x5t#S256)"},
			{Key: SettingFederatedTokenFile, Description: "entra: file holding a federated token (workload identity: AZURE_FEDERATED_TOKEN_FILE), read at every fetch"},
			{Key: SettingScope, Description: "entra: the scope; default https://cognitiveservices.azure.com/.default (.azure.us, .azure.cn in usgov, china)"},
			{Key: SettingChallengeScopes, Description: "entra: space-separated scopes a server's challenge may add (default none); claims challenges are always answered"},
		},
	}
}

// DefaultHostsFor implements plugin.HostsForSettings: a configuration's
// default hosts are its cloud's Cognitive Services and Speech hosts (with
// an endpoint or a token_url too: the token is valid in that cloud only).
// An unknown cloud, which Configure rejects, gives none.
func (Provider) DefaultHostsFor(settings map[string]string) []string {
	c, ok := clouds[cmp.Or(settings[SettingCloud], CloudPublic)]
	if !ok {
		return nil
	}
	return c.defaultHosts()
}

// Configure validates settings and returns a token source. In token mode it
// requests a new token on every call (the host caches); the source also
// implements plugin.ContextTokenSource.
func (p Provider) Configure(_ context.Context, settings map[string]string) (oauth2.TokenSource, error) {
	if settings[SettingMode] == ModeEntra {
		return p.configureEntra(settings)
	}
	key := settings[SettingSubscriptionKey]
	var errs plugin.SettingErrors
	if key == "" {
		errs = append(errs, plugin.SettingError{Key: SettingSubscriptionKey, Message: "required in modes token and key"})
	}
	for _, k := range entraSettings {
		if settings[k] != "" {
			errs = append(errs, plugin.SettingError{Key: k, Message: "used only in mode entra"})
		}
	}
	mode := settings[SettingMode]
	if mode == "" {
		mode = ModeToken
	}
	var tokenURL string
	switch mode {
	case ModeKey:
		// No request is made, so region and token_url are not needed; a
		// misspelt cloud is still a mistake worth reporting.
		if _, ok := clouds[cmp.Or(settings[SettingCloud], CloudPublic)]; !ok {
			errs = append(errs, plugin.SettingError{Key: SettingCloud, Message: fmt.Sprintf("%q is not %s, %s or %s",
				settings[SettingCloud], CloudPublic, CloudUSGov, CloudChina)})
		}
	case ModeToken:
		var err *plugin.SettingError
		tokenURL, err = issueTokenURL(where{
			cloud: cmp.Or(settings[SettingCloud], CloudPublic), region: settings[SettingRegion],
			endpoint: settings[SettingEndpoint], tokenURL: settings[SettingTokenURL],
		})
		if err != nil {
			errs = append(errs, *err)
		}
	default:
		errs = append(errs, plugin.SettingError{Key: SettingMode, Message: `must be "token", "key" or "entra"`})
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
