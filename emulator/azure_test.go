package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/emulator"
)

const azureTestKey = "0123456789abcdef0123456789abcdef"

// azureDo sends a request with the given headers and returns status and body.
func azureDo(t *testing.T, ts *httptest.Server, method, path string, headers map[string]string) (int, http.Header, []byte) {
	t.Helper()
	return do(t, ts, method, path, nil, func(req *http.Request) {
		for k, v := range headers {
			req.Header.Set(k, v)
		}
	})
}

// azureServer serves issueToken and a protected /speech resource.
func azureServer(az *emulator.Azure) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/sts/v1.0/issueToken", az)
	mux.Handle("/speech", az.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "recognized")
	})))
	return httptest.NewServer(mux)
}

func TestAzureIssuesAPlainTextJWTValidTenMinutes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	az := emulator.NewAzure()
	az.Now = func() time.Time { return now }
	az.AddKey(azureTestKey)
	ts := azureServer(az)
	defer ts.Close()

	status, h, body := azureDo(t, ts, http.MethodPost, "/sts/v1.0/issueToken", map[string]string{emulator.AzureKeyHeader: azureTestKey})
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d type %q body %s", status, h.Get("Content-Type"), body)
	}
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(string(body), claims)
	if err != nil {
		t.Fatalf("body is not a JWT: %v", err)
	}
	if tok.Method.Alg() != "RS256" || claims["exp"] != float64(now.Unix()+600) || claims["region"] != "westus" ||
		claims["aud"] != "urn:ms.speechservices.westus" {
		t.Errorf("alg %s claims %v", tok.Method.Alg(), claims)
	}
	if err := az.Verify(string(body)); err != nil {
		t.Errorf("Verify(issued) = %v", err)
	}
	if az.Issued() != 1 {
		t.Errorf("Issued() = %d", az.Issued())
	}
	now = now.Add(601 * time.Second)
	if err := az.Verify(string(body)); err == nil {
		t.Error("Verify accepted an expired token")
	}
}

func TestAzureRejectsMissingAndUnknownKeysWithItsJSONError(t *testing.T) {
	az := emulator.NewAzure()
	az.AddKey(azureTestKey)
	ts := azureServer(az)
	defer ts.Close()

	tests := []struct {
		name, method string
		headers      map[string]string
		status       int
		message      string
	}{
		{"no key", http.MethodPost, nil, 401, "missing subscription key"},
		{"an unknown key", http.MethodPost, map[string]string{emulator.AzureKeyHeader: "wrong"}, 401, "invalid subscription key"},
		{"a GET", http.MethodGet, map[string]string{emulator.AzureKeyHeader: azureTestKey}, 405, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := azureDo(t, ts, tt.method, "/sts/v1.0/issueToken", tt.headers)
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if status != tt.status || e.Error.Code != strconv.Itoa(tt.status) || !strings.Contains(e.Error.Message, tt.message) {
				t.Errorf("got %d %s, want %d mentioning %q", status, body, tt.status, tt.message)
			}
		})
	}
	if az.Issued() != 0 {
		t.Errorf("Issued() = %d after only rejections", az.Issued())
	}
}

func TestAzureResourceAcceptsABearerTokenOrTheKey(t *testing.T) {
	az := emulator.NewAzure()
	az.AddKey(azureTestKey)
	ts := azureServer(az)
	defer ts.Close()
	_, _, jwtBody := azureDo(t, ts, http.MethodPost, "/sts/v1.0/issueToken", map[string]string{emulator.AzureKeyHeader: azureTestKey})
	other := emulator.NewAzure()
	other.AddKey(azureTestKey)
	ots := azureServer(other)
	defer ots.Close()
	_, _, foreign := azureDo(t, ots, http.MethodPost, "/sts/v1.0/issueToken", map[string]string{emulator.AzureKeyHeader: azureTestKey})

	tests := []struct {
		name    string
		headers map[string]string
		status  int
	}{
		{"a bearer token it issued", map[string]string{"Authorization": "Bearer " + string(jwtBody)}, 200},
		// RFC 6750: "Bearer" 1*SP token, the scheme in any case.
		{"a bearer token after two spaces", map[string]string{"Authorization": "Bearer  " + string(jwtBody)}, 200},
		{"a bearer token with the scheme in lower case", map[string]string{"Authorization": "bearer " + string(jwtBody)}, 200},
		{"the scheme alone", map[string]string{"Authorization": "Bearer"}, 401},
		{"the subscription key", map[string]string{emulator.AzureKeyHeader: azureTestKey}, 200},
		{"nothing", nil, 401},
		{"another issuer's token", map[string]string{"Authorization": "Bearer " + string(foreign)}, 401},
		{"a wrong key", map[string]string{emulator.AzureKeyHeader: "wrong"}, 401},
		{"the key as a bearer token", map[string]string{"Authorization": "Bearer " + azureTestKey}, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := azureDo(t, ts, http.MethodGet, "/speech", tt.headers)
			if status != tt.status {
				t.Errorf("status %d %s, want %d", status, body, tt.status)
			}
			if status == 200 && string(body) != "recognized" {
				t.Errorf("body %q", body)
			}
		})
	}
}

// azureAt sends a request to ts as if to host: the Host header names the
// vendor's host, the connection goes to loopback.
func azureAt(t *testing.T, ts *httptest.Server, method, host, path string, headers map[string]string) (int, []byte) {
	t.Helper()
	status, _, body := do(t, ts, method, path, nil, func(req *http.Request) {
		req.Host = host
		for k, v := range headers {
			req.Header.Set(k, v)
		}
	})
	return status, body
}

// A token is valid only in the host family that issued it (Microsoft
// Learn, "Azure AI services in sovereign clouds").
func TestAzureScopesTokensToTheHostFamilyThatIssuedThem(t *testing.T) {
	az := emulator.NewAzure()
	az.Region = "usgovvirginia"
	az.AddKey(azureTestKey)
	ts := azureServer(az)
	defer ts.Close()

	status, tok := azureAt(t, ts, http.MethodPost, "usgovvirginia.api.cognitive.microsoft.us", "/sts/v1.0/issueToken",
		map[string]string{emulator.AzureKeyHeader: azureTestKey})
	if status != 200 {
		t.Fatalf("issueToken on the Azure Government host: %d %s", status, tok)
	}
	bearer := map[string]string{"Authorization": "Bearer " + string(tok)}
	for host, want := range map[string]int{
		"usgovvirginia.stt.speech.azure.us":        200,
		"usgovvirginia.api.cognitive.microsoft.us": 200,
		"res.cognitiveservices.azure.us:443":       200,
		"usgovvirginia.stt.speech.microsoft.com":   401, // public cloud
		"chinaeast2.stt.speech.azure.cn":           401, // Azure China
		"127.0.0.1":                                401, // neither
	} {
		if status, body := azureAt(t, ts, http.MethodGet, host, "/speech", bearer); status != want {
			t.Errorf("token from Azure Government on %s: %d %s, want %d", host, status, body, want)
		}
	}
	if err := az.VerifyForHost(string(tok), "westus.stt.speech.microsoft.com"); err == nil || !strings.Contains(err.Error(), "host family") {
		t.Errorf("VerifyForHost in another cloud = %v", err)
	}
	if err := az.Verify(string(tok)); err != nil {
		t.Errorf("Verify, which ignores the host: %v", err)
	}
}

func TestAzureRefusesARegionalHostOfAnotherRegion(t *testing.T) {
	az := emulator.NewAzure() // westus
	az.AddKey(azureTestKey)
	ts := azureServer(az)
	defer ts.Close()

	key := map[string]string{emulator.AzureKeyHeader: azureTestKey}
	if status, body := azureAt(t, ts, http.MethodPost, "eastus.api.cognitive.microsoft.com", "/sts/v1.0/issueToken", key); status != 401 ||
		!strings.Contains(string(body), "wrong API endpoint") {
		t.Errorf("another region's host: %d %s, want Azure's 401", status, body)
	}
	for _, host := range []string{"westus.api.cognitive.microsoft.com", "myres.cognitiveservices.azure.com", "127.0.0.1"} {
		if status, body := azureAt(t, ts, http.MethodPost, host, "/sts/v1.0/issueToken", key); status != 200 {
			t.Errorf("%s: %d %s, want 200", host, status, body)
		}
	}
}

func TestAzureCloudOf(t *testing.T) {
	for host, want := range map[string]string{
		"westus.api.cognitive.microsoft.com":      emulator.AzureCloudPublic,
		"MyRes.CognitiveServices.Azure.com.":      emulator.AzureCloudPublic,
		"usgovarizona.api.cognitive.microsoft.us": emulator.AzureCloudUSGov,
		"res.cognitiveservices.azure.us:443":      emulator.AzureCloudUSGov,
		"chinaeast2.api.cognitive.azure.cn":       emulator.AzureCloudChina,
		"127.0.0.1:8080":                          emulator.AzureCloudLocal,
		"api.cognitive.microsoft.com.evil.test":   emulator.AzureCloudLocal,
	} {
		if got := emulator.AzureCloudOf(host); got != want {
			t.Errorf("AzureCloudOf(%q) = %q, want %q", host, got, want)
		}
	}
}
