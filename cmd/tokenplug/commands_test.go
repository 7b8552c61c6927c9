package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/tokenplug/tokenplug/internal/testbin"
)

// verifySymphony checks tok is a JWT the customer key signed for acme.
func verifySymphony(t *testing.T, tok string) {
	t.Helper()
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return &customerKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS512"}))
	if err != nil {
		t.Fatalf("not a valid symphony JWT: %v", err)
	}
	if claims["sub"] != "ces:customer:acme" {
		t.Errorf("sub %v", claims["sub"])
	}
}

func TestTokenPrintsTheTokenInEveryForm(t *testing.T) {
	dir := symphonyDir(t, `"127.0.0.1"`, "")

	r := tp(t, dir, nil, "token", "sym")
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.stderr)
	}
	var out struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		Expiry      *time.Time      `json:"expiry"`
		Header      string          `json:"header"`
		JWT         json.RawMessage `json:"jwt"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	verifySymphony(t, out.AccessToken)
	if out.TokenType != "Bearer" || out.Header != "Authorization" || out.JWT != nil {
		t.Errorf("output %+v", out)
	}
	if out.Expiry == nil || time.Until(*out.Expiry) > 25*time.Minute || time.Until(*out.Expiry) < 20*time.Minute {
		t.Errorf("expiry %v, want about 25 minutes from now (symphony's default lifetime)", out.Expiry)
	}

	raw := tp(t, dir, nil, "token", "--raw", "sym") // flags before or after NAME
	verifySymphony(t, strings.TrimSuffix(raw.stdout, "\n"))

	header := tp(t, dir, nil, "token", "sym", "--header")
	tok, ok := strings.CutPrefix(strings.TrimSuffix(header.stdout, "\n"), "Authorization: Bearer ")
	if !ok {
		t.Fatalf("--header printed %q", header.stdout)
	}
	verifySymphony(t, tok)

	dec := tp(t, dir, nil, "token", "sym", "--decode")
	var decoded struct {
		JWT struct {
			SignatureVerified *bool          `json:"signature_verified"`
			Header            map[string]any `json:"header"`
			Claims            map[string]any `json:"claims"`
		} `json:"jwt"`
	}
	if err := json.Unmarshal([]byte(dec.stdout), &decoded); err != nil {
		t.Fatalf("--decode: not JSON: %v\n%s", err, dec.stdout)
	}
	if v := decoded.JWT.SignatureVerified; v == nil || *v {
		t.Error("--decode does not say the signature was not verified")
	}
	if decoded.JWT.Header["alg"] != "RS512" || decoded.JWT.Claims["sub"] != "ces:customer:acme" || decoded.JWT.Claims["jti"] == nil {
		t.Errorf("--decode: %+v", decoded.JWT)
	}
}

// recorder is an httptest server that remembers what it was sent.
type recorder struct {
	*httptest.Server
	mu   sync.Mutex // guards reqs
	reqs []recorded
}

type recorded struct {
	method, path, body string
	header             http.Header
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, recorded{r.Method, r.URL.Path, string(body), r.Header.Clone()})
		rec.mu.Unlock()
		if r.URL.Path == "/forbidden" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		w.Header().Set("X-Served-By", "recorder")
		io.WriteString(w, "hello from "+r.URL.Path)
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (r *recorder) last(t *testing.T) recorded {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("the server received no request")
	}
	return r.reqs[len(r.reqs)-1]
}

func TestGetSendsTheMatchedProvidersToken(t *testing.T) {
	rec := newRecorder(t)
	host := strings.TrimPrefix(rec.URL, "http://")
	dir := symphonyDir(t, `"`+host+`"`, "  other:\n    plugin: symphony\n    hosts: [api.example.com]\n    settings: {public_key_name: x}\n")

	r := tp(t, dir, nil, "get", rec.URL+"/v1/things")
	if r.code != 0 || r.stdout != "hello from /v1/things" {
		t.Fatalf("status %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	got := rec.last(t)
	tok, ok := strings.CutPrefix(got.header.Get("Authorization"), "Bearer ")
	if !ok || got.method != http.MethodGet {
		t.Fatalf("server got %s with Authorization %q", got.method, got.header.Get("Authorization"))
	}
	verifySymphony(t, tok)

	t.Run("-X, -d @file and -H reach the server", func(t *testing.T) {
		writeFile(t, dir, "body.json", `{"a":1}`)
		r := tp(t, dir, nil, "get", "-X", "PUT", "-d", "@body.json", "-H", "Content-Type: application/json", "-H", "X-Trace: t1", rec.URL+"/put")
		got := rec.last(t)
		if r.code != 0 || got.method != "PUT" || got.body != `{"a":1}` || got.header.Get("Content-Type") != "application/json" || got.header.Get("X-Trace") != "t1" {
			t.Errorf("status %d; server got %s %q %v", r.code, got.method, got.body, got.header)
		}
	})
	t.Run("-v masks the token", func(t *testing.T) {
		r := tp(t, dir, nil, "get", rec.URL+"/v", "-v")
		tok := strings.TrimPrefix(rec.last(t).header.Get("Authorization"), "Bearer ")
		if r.code != 0 || !strings.Contains(r.stderr, "> Authorization: Bearer "+tok[:4]+"…\n") || !strings.Contains(r.stderr, "< X-Served-By: recorder") {
			t.Errorf("status %d; stderr:\n%s", r.code, r.stderr)
		}
		if strings.Contains(r.stderr, tok[:20]) {
			t.Errorf("-v printed the token:\n%s", r.stderr)
		}
	})
	t.Run("non-2xx exits 0 unless -f", func(t *testing.T) {
		if r := tp(t, dir, nil, "get", rec.URL+"/forbidden"); r.code != 0 || r.stdout != "no\n" {
			t.Errorf("without -f: status %d, stdout %q", r.code, r.stdout)
		}
		r := tp(t, dir, nil, "get", "-f", rec.URL+"/forbidden?apikey=SECRET-Q")
		r.wantError(t, 1, "get: GET http://"+host+": 403 Forbidden")
		if strings.Contains(r.stderr, "SECRET") || strings.Contains(r.stderr, "/forbidden") {
			t.Errorf("the error shows more than the host: %s", r.stderr)
		}
	})
	t.Run("no provider for the host", func(t *testing.T) {
		r := tp(t, dir, nil, "get", "http://localhost:1/x")
		r.wantError(t, 2, "no provider in tokenplug.yaml has a host matching localhost:1", "--provider")
	})
	t.Run("--provider must match the host", func(t *testing.T) {
		r := tp(t, dir, nil, "get", "--provider", "other", rec.URL)
		r.wantError(t, 2, `provider "other" may not send its token to `+host)
	})
}

func TestCheckPrintsATableAndFailsOnAnyFailure(t *testing.T) {
	ok := symphonyDir(t, `"127.0.0.1"`, "  sym2:\n    plugin: symphony\n    settings: {private_key_file: key.pem, public_key_name: b, lifetime: 5m}\n")
	r := tp(t, ok, nil, "check")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("status %d; stderr %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[0]), " ") != "PROVIDER PLUGIN VERSION EXPIRES HOSTS STATUS" ||
		!strings.HasPrefix(lines[3], "2 providers ready in ") {
		t.Fatalf("table:\n%s", r.stdout)
	}
	hosts := []string{"127.0.0.1 (configured)", "*.symphony.com (plugin default)"}
	for i, name := range []string{"sym", "sym2"} {
		f := strings.Fields(lines[i+1])
		if f[0] != name || f[1] != "symphony" || f[2] != "1.0.0" || f[len(f)-1] != "ok" || !strings.Contains(lines[i+1], hosts[i]) {
			t.Errorf("row %q, want hosts %q", lines[i+1], hosts[i])
		}
	}

	bad := symphonyDir(t, `"127.0.0.1"`, "  broken:\n    plugin: symphony\n    settings:\n      public_key_name: b\n      private_key: SECRET-VALUE\n  missing:\n    plugin: nosuchplugin\n")
	r = tp(t, bad, nil, "check")
	if r.code != 2 { // both failures are configuration errors
		t.Fatalf("status %d, want 2; stderr %s", r.code, r.stderr)
	}
	for _, row := range []string{"broken ", "missing ", "sym "} {
		want := "FAILED"
		if row == "sym " {
			want = "ok"
		}
		if i := strings.Index(r.stdout, "\n"+row); i < 0 || !strings.HasSuffix(strings.SplitN(r.stdout[i+1:], "\n", 2)[0], want) {
			t.Errorf("no %s row ending %s:\n%s", row, want, r.stdout)
		}
	}
	errLines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(errLines) != 3 || !strings.Contains(errLines[0], `provider "broken"`) || !strings.Contains(errLines[0], "private_key") ||
		!strings.Contains(errLines[1], `tokenplug.yaml:14: providers.missing.plugin: plugin "nosuchplugin" not found`) ||
		!strings.Contains(errLines[2], "2 of 3 providers failed") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr+r.stdout, "SECRET-VALUE") {
		t.Error("check printed a secret setting's value")
	}
}

func TestPluginsListsBuiltinsPluginDirAndPath(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"bin", "pathbin"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The same real plugin binary under three names: one in plugin_dir
	// that shadows the built-in voicegain, one found in plugin_dir, one only
	// on $PATH.
	data, err := os.ReadFile(testbin.Path("voicegain"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"bin/tokenplug-voicegain", "bin/tokenplug-vgdir", "pathbin/tokenplug-vgpath"} {
		if err := os.WriteFile(filepath.Join(dir, p), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, dir, "tokenplug.yaml", "plugin_dir: bin\nproviders:\n  watson: {plugin: iam}\n  mine: {plugin: vgdir, hosts: [api.acme.test]}\n")
	r := tp(t, dir, []string{"PATH=" + filepath.Join(dir, "pathbin")}, "plugins")
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"azure 0.1.0 (built-in)", "iam 0.1.0 (built-in)", "symphony 1.0.0 (built-in)",
		"voicegain 0.1.0 (" + filepath.Join(dir, "bin", "tokenplug-voicegain") + ")",
		"voicegain 0.1.0 (built-in, shadowed by the one above)",
		"vgdir 0.1.0 (" + filepath.Join(dir, "bin", "tokenplug-vgdir") + ")",
		"vgpath 0.1.0 (" + filepath.Join(dir, "pathbin", "tokenplug-vgpath") + ")",
		"  default hosts: *.cloud.ibm.com, *.mybluemix.net",
		"  default hosts: *.voicegain.ai",
	} {
		if !strings.Contains(r.stdout, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, want := range [][]string{{"apikey", "required, secret"}, {"subscription_key", "secret"}, {"client_secret", "secret"}, {"private_key ", "secret"}, {"public_key_name", "required"}, {"lifetime", "default 25m"}} {
		found := false
		for _, line := range strings.Split(r.stdout, "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == strings.TrimSpace(want[0]) && strings.Contains(line, want[1]) {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for setting %s marked %q:\n%s", want[0], want[1], r.stdout)
		}
	}
}

func TestPluginsAndCheckShowEachProvidersEffectiveHosts(t *testing.T) {
	dir := faultDir(t, "  nohosts:\n    plugin: fault\n  anywhere:\n    plugin: fault\n    hosts: [\"*\"]\n")

	r := tp(t, dir, nil, "plugins")
	faultPath := filepath.Join(dir, "bin", "tokenplug-fault")
	for _, want := range [][]string{
		{"sym", "symphony", "runs built-in", "hosts: 127.0.0.1 (configured)"},
		{"nohosts", "fault", "runs " + faultPath + " (plugin_dir)", "hosts: none: its token goes nowhere; configure hosts"},
		{"anywhere", "fault", "runs " + faultPath + " (plugin_dir)", "hosts: * (configured)"},
	} {
		if !hasRow(r.stdout, want...) {
			t.Errorf("plugins output lacks a row %q:\n%s", want, r.stdout)
		}
	}

	r = tp(t, dir, nil, "check")
	if r.code != 2 || !strings.Contains(r.stderr, "tokenplug.yaml:9: providers.nohosts.hosts: none") {
		t.Fatalf("check: status %d, stderr %s; want 2 and the provider without hosts named at its line", r.code, r.stderr)
	}
	for _, row := range []string{"nohosts", "anywhere", "sym "} {
		want := map[string]string{"nohosts": "FAILED", "anywhere": "ok", "sym ": "ok"}[row]
		found := false
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, row) && strings.HasSuffix(strings.TrimSpace(line), want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s row for %s:\n%s", want, row, r.stdout)
		}
	}
}

func TestDemoRunsEveryCheckEndToEnd(t *testing.T) {
	r := tp(t, t.TempDir(), nil, "demo", "--show-config")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("status %d; stderr %s\n%s", r.code, r.stderr, r.stdout)
	}
	config, report, ok := strings.Cut(r.stdout, "\ntokenplug demo:")
	if !ok || !strings.Contains(config, "    plugin: iam\n") || !strings.Contains(config, "      mode: key\n") {
		t.Fatalf("--show-config did not print the configuration first:\n%s", r.stdout)
	}
	// Every endpoint is an emulator on 127.0.0.1, and the report shows no
	// key of the configuration and no token (all the vendors' are JWTs).
	seen := map[string]int{}
	for _, l := range strings.Split(config, "\n") {
		key, value, _ := strings.Cut(strings.TrimSpace(l), ": ")
		seen[key]++
		switch {
		case key == "hosts":
			for _, h := range strings.Split(strings.Trim(value, "[]"), ", ") {
				if !strings.HasPrefix(h, `"127.0.0.1:`) {
					t.Errorf("a demo provider may send its token to %s", h)
				}
			}
		case (strings.HasSuffix(key, "_url") || key == "issuer") && !strings.HasPrefix(value, `"http://127.0.0.1:`):
			t.Errorf("a demo endpoint is not on loopback: %s", l)
		case key == "apikey" || key == "subscription_key" || key == "jwt" || key == "client_secret":
			if strings.Contains(report, strings.Trim(value, `"`)) {
				t.Errorf("the report shows the %s", key)
			}
		}
	}
	if seen["hosts"] != 9 || seen["apikey"] == 0 || seen["subscription_key"] == 0 || seen["jwt"] == 0 || seen["client_secret"] != 2 {
		t.Errorf("the configuration lacks the lines checked above (%v):\n%s", seen, config)
	}
	if strings.Contains(report, "eyJ") {
		t.Errorf("the report shows a JWT:\n%s", report)
	}
	// The private_key_file of symphony and of oauth2's private_key_jwt row.
	if strings.Contains(r.stdout, "PRIVATE KEY") || seen["private_key_file"] != 2 {
		t.Errorf("the output shows a private key, or the configuration has not the two key files (%d)", seen["private_key_file"])
	}
	lines := strings.Split(strings.TrimSuffix(report, "\n"), "\n")
	checks := lines[1 : len(lines)-1]
	if len(checks) != 11 || !strings.HasPrefix(lines[len(lines)-1], "11 of 11 checks passed") {
		t.Fatalf("output:\n%s", r.stdout)
	}
	var providers, vias []string
	for _, l := range checks {
		f := strings.Fields(l)
		if f[0] != "✓" {
			t.Errorf("check failed: %s", l)
		}
		providers, vias = append(providers, f[1]), append(vias, f[2])
	}
	for _, want := range []string{"symphony", "voicegain", "voicegain-browser", "watson", "azure-speech", "azure-key", "oauth2", "oauth2-jwt", "azure-entra"} {
		if !strings.Contains(" "+strings.Join(providers, " ")+" ", " "+want+" ") {
			t.Errorf("no check for %s", want)
		}
	}
	for _, want := range []string{"HTTP", "websocket", "gRPC"} {
		if !strings.Contains(strings.Join(vias, " "), want) {
			t.Errorf("no check over %s", want)
		}
	}
}

// With no hosts configured, an azure provider's token may go to its
// cloud's hosts only: plugins (which does not start it) and check (which
// configures it) show those, not the hosts of every cloud.
func TestPluginsAndCheckShowAzureHostsOfTheConfiguredCloud(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "tokenplug.yaml", "providers:\n  az: {plugin: azure, settings: {subscription_key: k, mode: key}}\n"+
		"  azgov: {plugin: azure, settings: {subscription_key: k, mode: key, cloud: usgov}}\n")
	for _, cmd := range []string{"plugins", "check"} {
		r := tp(t, dir, nil, cmd)
		if r.code != 0 {
			t.Fatalf("%s: status %d: %s", cmd, r.code, r.stderr)
		}
		for _, row := range []struct{ provider, shown, other string }{
			{"az", "*.cognitiveservices.azure.com", ".azure.us"},
			{"azgov", "*.cognitiveservices.azure.us", "microsoft.com"},
		} {
			line := ""
			for _, l := range strings.Split(r.stdout, "\n") {
				if f := strings.Fields(l); len(f) > 0 && f[0] == row.provider {
					line = l
				}
			}
			if !strings.Contains(line, row.shown) || strings.Contains(line, row.other) || strings.Contains(line, ".azure.cn") ||
				(cmd == "check" && !strings.Contains(line, "+1 more (plugin default)")) {
				t.Errorf("%s: row %q; want %s's hosts only:\n%s", cmd, line, row.provider, r.stdout)
			}
		}
	}
}

// hasRow reports whether a line of out starts with the first of cells,
// holds the others in order, separated by spaces.
func hasRow(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		rest := strings.TrimSpace(line)
		ok := true
		for _, c := range cells {
			i := strings.Index(rest, c)
			if i < 0 || strings.TrimSpace(rest[:i]) != "" {
				ok = false
				break
			}
			rest = rest[i+len(c):]
		}
		if ok {
			return true
		}
	}
	return false
}

// get sends the token to its provider's origin only: not to the other
// origin a redirect points at, and not over plain http to a host that is
// not loopback unless the provider allows it. The hosts that are not
// loopback are names reached through a proxy on 127.0.0.1 (HTTP_PROXY),
// which records what would have left the machine.
func TestGetKeepsTheTokenOnItsOriginAndOffPlainHTTP(t *testing.T) {
	other := newRecorder(t)
	var mu sync.Mutex
	var apiAuth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		apiAuth = r.Header.Get("Authorization")
		mu.Unlock()
		http.Redirect(w, r, other.URL+"/landed", http.StatusFound)
	}))
	defer api.Close()
	proxy := newRecorder(t)
	signer := "    settings: {private_key_file: key.pem, public_key_name: acme}\n"
	dir := symphonyDir(t, `"`+strings.TrimPrefix(api.URL, "http://")+`"`,
		"  strict:\n    plugin: symphony\n    hosts: [api.example.test]\n"+signer+
			"  clear:\n    plugin: symphony\n    hosts: [clear.example.test]\n    allow_insecure: true\n"+signer+
			"  local:\n    plugin: symphony\n    hosts: [localhost]\n"+signer)
	env := []string{"HTTP_PROXY=" + proxy.URL}

	t.Run("a redirect to another origin", func(t *testing.T) {
		if r := tp(t, dir, env, "get", api.URL+"/go"); r.code != 0 || r.stdout != "hello from /landed" {
			t.Fatalf("status %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
		}
		mu.Lock()
		sent := apiAuth
		mu.Unlock()
		if got := other.last(t).header.Get("Authorization"); got != "" || !strings.HasPrefix(sent, "Bearer ") {
			t.Errorf("the API got %.12q…, the redirect's target got %.12q…; want the token at the API only", sent, got)
		}
	})
	t.Run("plain http to a host that is not loopback", func(t *testing.T) {
		r := tp(t, dir, env, "get", "http://api.example.test/x")
		r.wantError(t, 1, "refusing to send a token over plain http")
		proxy.mu.Lock()
		n := len(proxy.reqs)
		proxy.mu.Unlock()
		if n != 0 {
			t.Fatalf("%d requests left for api.example.test", n)
		}
	})
	t.Run("a loopback alias that HTTP_PROXY would carry", func(t *testing.T) {
		for _, alias := range []string{"localhost.", "LOCALHOST", "LocalHost."} {
			r := tp(t, dir, env, "get", "http://"+alias+"/x")
			r.wantError(t, 1, "it would go through a proxy")
		}
		proxy.mu.Lock()
		n := len(proxy.reqs)
		proxy.mu.Unlock()
		if n != 0 {
			t.Fatalf("%d requests left for a loopback alias through the proxy", n)
		}
	})
	t.Run("allow_insecure lets it go, through the same route", func(t *testing.T) {
		if r := tp(t, dir, env, "get", "http://clear.example.test/y"); r.code != 0 {
			t.Fatalf("status %d, stderr %s", r.code, r.stderr)
		}
		if got := proxy.last(t); got.path != "/y" || !strings.HasPrefix(got.header.Get("Authorization"), "Bearer ") {
			t.Errorf("the proxy got %s without the token", got.path)
		}
	})
}
