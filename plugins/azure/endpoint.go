package azure

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tokenplug/tokenplug/hostmatch"
	"github.com/tokenplug/tokenplug/plugin"
)

// Clouds, the values of the cloud setting. Each is a separate family of
// hosts, and a token is valid only in the family that issued it (Microsoft
// Learn, "Azure AI services in sovereign clouds"; "Authenticate requests to
// Azure AI services").
const (
	CloudPublic = "public" // Azure
	CloudUSGov  = "usgov"  // Azure Government
	CloudChina  = "china"  // Azure operated by 21Vianet (Azure China)
)

// issueTokenPath is the token endpoint's path on a regional host or a
// resource endpoint.
const issueTokenPath = "/sts/v1.0/issueToken"

// cloud is what the provider needs to know of one cloud.
type cloud struct {
	name string // for messages: "Azure Government"
	// regionalSuffix follows "<region>." in the regional token host.
	regionalSuffix string
	// hostSuffixes are the suffixes of the cloud's Cognitive Services
	// hosts a resource endpoint may have.
	hostSuffixes []string
	// speechSuffixes are the suffixes of the cloud's regional Speech
	// hosts (speech to text, text to speech).
	speechSuffixes []string
	// ownsRegion reports whether a region name belongs to this cloud.
	ownsRegion func(string) bool
	// loginHost is the cloud's Entra ID (Azure AD) authority host.
	loginHost string
	// entraScope is the Cognitive Services resource's .default scope in
	// this cloud, the default of mode entra's scope.
	entraScope string
}

// clouds, from Microsoft Learn's "Azure AI services in sovereign clouds"
// (the Speech service's sovereign-clouds page): Azure Government regions
// are usgov* and usdod*, with hosts under .microsoft.us and .azure.us;
// Azure China regions are china*, with hosts under .azure.cn. The login
// hosts are Entra ID's national-cloud authorities ("National clouds",
// Microsoft identity platform), the scopes the Cognitive Services resource
// ids of each cloud.
var clouds = map[string]cloud{
	CloudPublic: {
		name: "the Azure public cloud", regionalSuffix: ".api.cognitive.microsoft.com",
		hostSuffixes:   []string{".cognitiveservices.azure.com", ".api.cognitive.microsoft.com"},
		speechSuffixes: []string{".stt.speech.microsoft.com", ".tts.speech.microsoft.com"},
		ownsRegion:     func(r string) bool { return !isGovRegion(r) && !isChinaRegion(r) },
		loginHost:      "login.microsoftonline.com", entraScope: "https://cognitiveservices.azure.com/.default",
	},
	CloudUSGov: {
		name: "Azure Government", regionalSuffix: ".api.cognitive.microsoft.us",
		hostSuffixes:   []string{".cognitiveservices.azure.us", ".api.cognitive.microsoft.us"},
		speechSuffixes: []string{".stt.speech.azure.us", ".tts.speech.azure.us"},
		ownsRegion:     isGovRegion,
		loginHost:      "login.microsoftonline.us", entraScope: "https://cognitiveservices.azure.us/.default",
	},
	CloudChina: {
		name: "Azure China", regionalSuffix: ".api.cognitive.azure.cn",
		hostSuffixes:   []string{".cognitiveservices.azure.cn", ".api.cognitive.azure.cn"},
		speechSuffixes: []string{".stt.speech.azure.cn", ".tts.speech.azure.cn"},
		ownsRegion:     isChinaRegion,
		loginHost:      "login.chinacloudapi.cn", entraScope: "https://cognitiveservices.azure.cn/.default",
	},
}

// cloudOrder is the order of the clouds in the plugin's declared
// default hosts.
var cloudOrder = []string{CloudPublic, CloudUSGov, CloudChina}

// defaultHosts returns the host patterns of the cloud's Cognitive Services
// and Speech hosts: "*" and each of its suffixes.
func (c cloud) defaultHosts() []string {
	var hosts []string
	for _, suffix := range slices.Concat(c.hostSuffixes, c.speechSuffixes) {
		hosts = append(hosts, "*"+suffix)
	}
	return hosts
}

// allDefaultHosts returns the default hosts of every cloud, the plugin's
// declared default hosts.
func allDefaultHosts() []string {
	var hosts []string
	for _, name := range cloudOrder {
		hosts = append(hosts, clouds[name].defaultHosts()...)
	}
	return hosts
}

func isGovRegion(r string) bool {
	return strings.HasPrefix(r, "usgov") || strings.HasPrefix(r, "usdod")
}
func isChinaRegion(r string) bool { return strings.HasPrefix(r, "china") }

// cloudOfRegion names the sovereign cloud a region belongs to, for the
// message that tells the user to set cloud.
func cloudOfRegion(r string) string {
	switch {
	case isGovRegion(r):
		return CloudUSGov
	case isChinaRegion(r):
		return CloudChina
	}
	return CloudPublic
}

// regionRE is an Azure region name ("westus", "eastus2"): it becomes a DNS
// label of the token URL, so nothing else may get in (no dots, slashes, at
// signs or ports that would point the key at another host). 63 is the DNS
// label limit.
var regionRE = regexp.MustCompile(`^[a-z0-9]{1,63}$`)

// where is the part of the settings that says where tokens come from.
type where struct {
	cloud, region, endpoint, tokenURL string
}

// issueTokenURL returns the token endpoint: token_url when set (it
// overrides region, for proxies and emulators), else <endpoint>/sts/v1.0/
// issueToken, else the regional host of the cloud.
func issueTokenURL(w where) (string, *plugin.SettingError) {
	c, ok := clouds[w.cloud]
	if !ok {
		return "", &plugin.SettingError{Key: SettingCloud, Message: fmt.Sprintf("%q is not %s, %s or %s", w.cloud, CloudPublic, CloudUSGov, CloudChina)}
	}
	switch {
	case w.endpoint != "" && w.tokenURL != "":
		return "", &plugin.SettingError{Key: SettingEndpoint, Message: "set endpoint or token_url, not both"}
	case w.endpoint != "" && w.region != "":
		return "", &plugin.SettingError{Key: SettingEndpoint, Message: "set endpoint or region, not both: the endpoint already names the resource"}
	case w.tokenURL != "":
		u, err := plugin.URL(map[string]string{SettingTokenURL: w.tokenURL}, SettingTokenURL)
		var se plugin.SettingError
		if errors.As(err, &se) {
			return "", &se
		}
		return u.String(), nil
	case w.endpoint != "":
		return endpointTokenURL(c, w.endpoint)
	case w.region == "":
		return "", &plugin.SettingError{Key: SettingRegion, Message: "required in token mode unless endpoint or token_url is set"}
	case !regionRE.MatchString(w.region):
		return "", &plugin.SettingError{Key: SettingRegion, Message: "must be an Azure region name: lowercase letters and digits, e.g. westus"}
	case !c.ownsRegion(w.region):
		other := cloudOfRegion(w.region)
		return "", &plugin.SettingError{Key: SettingRegion, Message: fmt.Sprintf("%q is a region of %s, not of %s: set cloud to %s",
			w.region, clouds[other].name, c.name, other)}
	}
	return "https://" + w.region + c.regionalSuffix + issueTokenPath, nil
}

// endpointTokenURL checks a resource endpoint ("https://<resource>.
// cognitiveservices.azure.com") and returns its issueToken URL. The host
// must belong to the chosen cloud, so that a key meant for one cloud never
// goes to another; loopback is allowed, for emulators.
func endpointTokenURL(c cloud, raw string) (string, *plugin.SettingError) {
	u, err := plugin.URL(map[string]string{SettingEndpoint: raw}, SettingEndpoint)
	var se plugin.SettingError
	switch {
	case errors.As(err, &se):
		return "", &se
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", &plugin.SettingError{Key: SettingEndpoint, Message: "must be the resource's endpoint alone, https://<resource>.cognitiveservices.azure.com, with no path or query"}
	case !hostmatch.IsExactLoopback(u.Hostname()) && !hasAnySuffix(strings.ToLower(u.Hostname()), c.hostSuffixes):
		return "", &plugin.SettingError{Key: SettingEndpoint, Message: fmt.Sprintf("host %q is not a Cognitive Services host of %s (%s); set cloud, or use token_url",
			u.Hostname(), c.name, strings.Join(c.hostSuffixes, ", "))}
	}
	u.Path, u.RawPath = issueTokenPath, ""
	return u.String(), nil
}

func hasAnySuffix(host string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(host, s) && len(host) > len(s) {
			return true
		}
	}
	return false
}
