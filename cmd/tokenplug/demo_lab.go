package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/template"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/internal/grpctest"
)

// lab is the demo's set of emulated vendors on 127.0.0.1, with the
// throwaway credentials they accept.
type lab struct {
	dir string // temporary: the customer's key file

	symphony  *emulator.Symphony
	voicegain *emulator.Voicegain
	iam       *emulator.IAM
	azure     *emulator.Azure
	gateway   *emulator.AudioGateway
	grpc      *grpctest.Server
	oauth     *oauthLab // a standard authorization server, for oauth2 and azure mode entra

	apikey, azureKey, keyFile string

	// Servers, each on its own port, so that each provider's hosts name
	// exactly the services it may send its token to.
	symphonySrv, voicegainSrv, iamSrv, watsonSrv, gatewaySrv, azureSrv *httptest.Server
}

// demoKeyName is the name the customer's public key is registered under
// with the emulated Symphony Connect.
const demoKeyName = "demo-customer"

// startLab starts every emulator. The RSA keys (one per vendor, one for
// the Symphony customer) are generated in parallel: they are most of the
// start-up time.
func startLab() (*lab, error) {
	l := &lab{apikey: "demo-apikey-" + randomHex(8), azureKey: randomHex(16)}
	var (
		wg       sync.WaitGroup
		customer *rsa.PrivateKey
		keyErr   error
	)
	wg.Go(func() { l.iam = emulator.NewIAM() })
	wg.Go(func() { l.azure = emulator.NewAzure() })
	wg.Go(func() { l.voicegain = emulator.NewVoicegain() })
	wg.Go(func() { customer, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	wg.Go(func() { l.oauth = newOAuthLab() })
	wg.Wait()
	if keyErr != nil {
		return nil, keyErr
	}
	dir, err := os.MkdirTemp("", "tokenplug-demo-")
	if err != nil {
		return nil, err
	}
	l.dir = dir
	l.keyFile = filepath.Join(dir, "customer-key.pem")
	err = os.WriteFile(l.keyFile, customerKeyPEM(customer), 0o600)
	if err == nil {
		err = l.oauth.start(dir)
	}
	if err != nil {
		l.close()
		return nil, err
	}
	l.symphony = emulator.NewSymphony()
	l.symphony.Register(demoKeyName, &customer.PublicKey)
	l.iam.AddAPIKey(l.apikey)
	l.azure.AddKey(l.azureKey)
	l.gateway = emulator.NewAudioGateway(l.iam)

	l.symphonySrv = httptest.NewServer(l.symphony)
	l.voicegainSrv = httptest.NewServer(l.voicegain)
	l.iamSrv = httptest.NewServer(l.iam)
	l.watsonSrv = httptest.NewServer(requireIAM(l.iam, watsonModels))
	l.gatewaySrv = httptest.NewServer(l.gateway)
	mux := http.NewServeMux()
	mux.Handle("POST /sts/v1.0/issueToken", l.azure)
	mux.Handle("/speech/", l.azure.RequireAuth(http.HandlerFunc(speechOK)))
	l.azureSrv = httptest.NewServer(mux)
	l.grpc, err = grpctest.Start(grpctest.Config{Auth: &grpctest.Auth{Accept: func(v string) bool {
		tok, ok := strings.CutPrefix(v, "Bearer ")
		return ok && l.iam.Verify(tok) == nil
	}}})
	if err != nil {
		l.close()
		return nil, err
	}
	return l, nil
}

// customerKeyPEM encodes a Symphony customer's key as the PKCS #1 PEM
// block the symphony plugin reads from its private_key_file.
func customerKeyPEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// close stops everything startLab started.
func (l *lab) close() {
	if l.gateway != nil {
		l.gateway.Close() // ends websocket sessions: httptest does not wait for them
	}
	for _, s := range []*httptest.Server{l.symphonySrv, l.voicegainSrv, l.iamSrv, l.watsonSrv, l.gatewaySrv, l.azureSrv} {
		if s != nil {
			s.Close()
		}
	}
	if l.grpc != nil {
		l.grpc.Close()
	}
	l.oauth.close()
	if l.dir != "" {
		os.RemoveAll(l.dir)
	}
}

// demoConfig is the tokenplug.yaml an application would use against the
// lab. Values are quoted with printf %q: Go's quoting of these ASCII
// strings is valid YAML. Two providers use the Voicegain plugin with the
// same console JWT and two the Azure plugin with the same subscription
// key: what they share is written once, in the templates "voicegain" and
// "azure".
var demoConfig = template.Must(template.New("config").Parse(`{{define "voicegain"}}
    plugin: voicegain
    hosts: [{{printf "%q" .Voicegain}}]
    settings:
      jwt: {{printf "%q" .ConsoleJWT}}
      api_url: {{printf "%q" .VoicegainAPI}}
{{- end}}
{{- define "azure"}}
    plugin: azure
    hosts: [{{printf "%q" .Azure}}]
    settings:
      subscription_key: {{printf "%q" .AzureKey}}
{{- end -}}
# tokenplug demo: every endpoint is an emulator on 127.0.0.1
providers:
  symphony:
    plugin: symphony
    hosts: [{{printf "%q" .Symphony}}]
    settings:
      private_key_file: {{printf "%q" .KeyFile}}
      public_key_name: {{.KeyName}}
  voicegain:
{{- template "voicegain" .}}
  voicegain-browser:
{{- template "voicegain" .}}
      mode: short_lived
      audience: {{.Audience}}
      lifetime: 10m
  watson:
    plugin: iam
    hosts: [{{printf "%q" .Watson}}, {{printf "%q" .Gateway}}, {{printf "%q" .GRPC}}]
    settings:
      apikey: {{printf "%q" .APIKey}}
      token_url: {{printf "%q" .IAMTokenURL}}
  azure-speech:
{{- template "azure" .}}
      token_url: {{printf "%q" .AzureTokenURL}}
  azure-key:
{{- template "azure" .}}
      mode: key
{{template "oauth2" .}}`))

// demoAudience is the browser origin voicegain-browser's JWTs are for.
const demoAudience = "app.example.com"

// config returns the lab's configuration file. The credentials in it are
// the lab's throwaway ones.
func (l *lab) config() string {
	var b strings.Builder
	values := map[string]string{
		"Symphony": hostOf(l.symphonySrv), "KeyFile": l.keyFile, "KeyName": demoKeyName,
		"Voicegain": hostOf(l.voicegainSrv), "ConsoleJWT": l.voicegain.ConsoleJWT(),
		"VoicegainAPI": l.voicegainSrv.URL + "/v1", "Audience": demoAudience,
		"Watson": hostOf(l.watsonSrv), "Gateway": hostOf(l.gatewaySrv), "GRPC": l.grpc.Addr(),
		"APIKey": l.apikey, "IAMTokenURL": l.iamSrv.URL + "/identity/token",
		"Azure": hostOf(l.azureSrv), "AzureKey": l.azureKey, "AzureTokenURL": l.azureSrv.URL + "/sts/v1.0/issueToken",
	}
	l.oauth.addConfig(values)
	err := demoConfig.Execute(&b, values)
	if err != nil {
		panic("demo config template: " + err.Error()) // the template is a constant
	}
	return b.String()
}

func hostOf(s *httptest.Server) string {
	u, _ := url.Parse(s.URL) // httptest's own URL always parses
	return u.Host
}

// requireIAM stands in for a Watson service: it serves next only to
// callers with a bearer token the IAM emulator issued.
func requireIAM(idp *emulator.IAM, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || idp.Verify(tok) != nil {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		next(w, r)
	})
}

func watsonModels(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"models":[{"name":"en-US_Multimedia"}]}`)
}

func speechOK(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintln(w, `{"RecognitionStatus":"Success","DisplayText":"Hello."}`)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
