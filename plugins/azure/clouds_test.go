package azure

import (
	"context"
	"crypto/tls"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

// vendorLab is an Azure emulator behind TLS on loopback, reached under the
// vendor's host names: the client dials every name to the loopback server
// (never a real address) and checks the test certificate under the name
// example.com, which it carries. The emulator sees the vendor's name in
// the Host header, as the real service would.
type vendorLab struct {
	az     *emulator.Azure
	ts     *httptest.Server
	client *http.Client
}

func newVendorLab(t *testing.T, region string) *vendorLab {
	t.Helper()
	l := &vendorLab{az: emulator.NewAzure()}
	l.az.Region = region
	l.az.AddKey(testKey)
	l.ts = httptest.NewTLSServer(speechMux(l.az, l.az))
	t.Cleanup(l.ts.Close)
	l.client = loopbackClient(t, l.ts)
	return l
}

// loopbackClient is a client that reaches ts (a TLS server on loopback)
// under any host name: it dials every name to ts's address (never a real
// one) and checks ts's test certificate under the name example.com, which
// it carries.
func loopbackClient(t *testing.T, ts *httptest.Server) *http.Client {
	tr := ts.Client().Transport.(*http.Transport).Clone()
	addr := ts.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr) // loopback only
	}
	tr.TLSClientConfig.ServerName = "example.com"
	tr.TLSClientConfig.MinVersion = tls.VersionTLS12
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// token configures the provider with settings against the lab and gets a
// token, returning the URL it asked.
func (l *vendorLab) token(t *testing.T, settings map[string]string) (*oauth2.Token, string) {
	t.Helper()
	settings[SettingSubscriptionKey] = testKey
	src := plugintest.MustConfigure(t, Provider{HTTPClient: l.client}, settings)
	tok, err := src.Token()
	if err != nil {
		t.Fatalf("Token with %v: %v", settings, err)
	}
	return tok, src.(*tokenSource).url
}

// speech calls /speech on host with tok and returns the status.
func (l *vendorLab) speech(t *testing.T, host string, tok *oauth2.Token) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "https://"+host+"/speech", nil)
	name, value := tokenplug.RequestHeader(tok)
	req.Header.Set(name, value)
	resp, err := l.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Each form Azure documents gives the token endpoint of its host family,
// and the token works there and nowhere else (Microsoft Learn:
// "Authenticate requests to Azure AI services"; "Azure AI Speech in
// sovereign clouds").
func TestEachCloudGetsItsTokenFromItsOwnHosts(t *testing.T) {
	for _, tc := range []struct {
		name, region    string
		settings        map[string]string
		wantURL         string
		home, elsewhere string
	}{
		{"public region", "westus", map[string]string{SettingRegion: "westus"},
			"https://westus.api.cognitive.microsoft.com/sts/v1.0/issueToken",
			"westus.stt.speech.microsoft.com", "westus.stt.speech.azure.us"},
		{"resource endpoint", "westus", map[string]string{SettingEndpoint: "https://my-speech.cognitiveservices.azure.com/"},
			"https://my-speech.cognitiveservices.azure.com/sts/v1.0/issueToken",
			"my-speech.cognitiveservices.azure.com", "chinaeast2.stt.speech.azure.cn"},
		{"Azure Government", "usgovvirginia", map[string]string{SettingCloud: CloudUSGov, SettingRegion: "usgovvirginia"},
			"https://usgovvirginia.api.cognitive.microsoft.us/sts/v1.0/issueToken",
			"usgovvirginia.stt.speech.azure.us", "usgovvirginia.stt.speech.microsoft.com"},
		{"Azure China", "chinaeast2", map[string]string{SettingCloud: CloudChina, SettingRegion: "chinaeast2"},
			"https://chinaeast2.api.cognitive.azure.cn/sts/v1.0/issueToken",
			"chinaeast2.stt.speech.azure.cn", "chinaeast2.stt.speech.microsoft.com"},
		{"Azure Government endpoint", "usgovarizona", map[string]string{SettingCloud: CloudUSGov, SettingEndpoint: "https://gov-res.cognitiveservices.azure.us"},
			"https://gov-res.cognitiveservices.azure.us/sts/v1.0/issueToken",
			"usgovarizona.stt.speech.azure.us", "westus.stt.speech.microsoft.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newVendorLab(t, tc.region)
			tok, url := l.token(t, tc.settings)
			if url != tc.wantURL {
				t.Errorf("token URL %s, want %s", url, tc.wantURL)
			}
			if status := l.speech(t, tc.home, tok); status != http.StatusOK {
				t.Errorf("token on %s: %d, want 200", tc.home, status)
			}
			if status := l.speech(t, tc.elsewhere, tok); status != http.StatusUnauthorized {
				t.Errorf("token on %s, another cloud: %d, want 401", tc.elsewhere, status)
			}
		})
	}
}

// A sovereign region given as a public-cloud region, or the reverse, is a
// configuration error naming region (TestConfigureNamesTheBadSetting) and
// the cloud to set, not a request to a host that does not exist.
func TestARegionOfAnotherCloudSaysWhichCloudToSet(t *testing.T) {
	_, err := plugintest.Configure(t.Context(), Provider{}, withKey(SettingRegion, "usgovvirginia"))
	if err == nil || !strings.Contains(err.Error(), "cloud to usgov") {
		t.Errorf("err = %v, want it to say which cloud to set", err)
	}
}

// The plugin declares the hosts of all three clouds, and narrows them to
// the configured cloud's (plugin.HostsForSettings), whatever names the
// resource (region, endpoint, token_url, or key mode): a public-cloud
// configuration's token never goes to Azure Government or Azure China.
func TestDefaultHostsFollowTheConfiguredCloud(t *testing.T) {
	public := []string{"*.cognitiveservices.azure.com", "*.api.cognitive.microsoft.com", "*.stt.speech.microsoft.com", "*.tts.speech.microsoft.com"}
	usgov := []string{"*.cognitiveservices.azure.us", "*.api.cognitive.microsoft.us", "*.stt.speech.azure.us", "*.tts.speech.azure.us"}
	china := []string{"*.cognitiveservices.azure.cn", "*.api.cognitive.azure.cn", "*.stt.speech.azure.cn", "*.tts.speech.azure.cn"}
	if got, want := (Provider{}).Describe().DefaultHosts, slices.Concat(public, usgov, china); !slices.Equal(got, want) {
		t.Errorf("Describe's default hosts %q, want %q", got, want)
	}
	var _ plugin.HostsForSettings = Provider{}
	for _, tc := range []struct {
		name     string
		settings map[string]string
		want     []string
	}{
		{"public, the default", map[string]string{SettingRegion: "westus"}, public},
		{"public", map[string]string{SettingCloud: CloudPublic, SettingRegion: "westus"}, public},
		{"public endpoint", map[string]string{SettingEndpoint: "https://r.cognitiveservices.azure.com"}, public},
		{"public key mode", map[string]string{SettingMode: ModeKey}, public},
		{"usgov", map[string]string{SettingCloud: CloudUSGov, SettingRegion: "usgovvirginia"}, usgov},
		{"usgov endpoint", map[string]string{SettingCloud: CloudUSGov, SettingEndpoint: "https://r.cognitiveservices.azure.us"}, usgov},
		{"usgov token_url", map[string]string{SettingCloud: CloudUSGov, SettingTokenURL: "https://proxy.example/sts/v1.0/issueToken"}, usgov},
		{"china", map[string]string{SettingCloud: CloudChina, SettingRegion: "chinaeast2"}, china},
		{"an unknown cloud (Configure rejects it)", map[string]string{SettingCloud: "mars"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := withKey()
			maps.Copy(settings, tc.settings)
			applied, err := plugin.ApplySchema(Provider{}.Describe(), settings)
			if err != nil {
				t.Fatal(err)
			}
			if got := (Provider{}).DefaultHostsFor(applied); !slices.Equal(got, tc.want) {
				t.Errorf("DefaultHostsFor = %q, want %q", got, tc.want)
			}
		})
	}
}
