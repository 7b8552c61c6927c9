package emulator_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/tokenplug/tokenplug/emulator"
	"github.com/tokenplug/tokenplug/transport"
)

// An IAM emulator asked with plain net/http, as any IBM client does.
func ExampleStartIAM() {
	idp := emulator.StartIAM()
	defer idp.Close()
	idp.AddAPIKey("my-api-key")

	resp, err := http.PostForm(idp.URL+"/identity/token", url.Values{
		"grant_type": {emulator.IAMGrantType},
		"apikey":     {"my-api-key"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode, tok.TokenType, tok.ExpiresIn)
	fmt.Println("valid:", idp.Verify(tok.AccessToken) == nil)
	fmt.Println("issued:", idp.Issued())
	// Output:
	// 200 Bearer 3600
	// valid: true
	// issued: 1
}

// Azure's issueToken, and a speech endpoint of yours that accepts what it
// issues.
func ExampleStartAzure() {
	az := emulator.StartAzure()
	defer az.Close()
	az.AddKey("my-subscription-key")
	speech := httptest.NewServer(az.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "recognized")
	})))
	defer speech.Close()

	req, _ := http.NewRequest(http.MethodPost, az.URL+"/sts/v1.0/issueToken", nil)
	req.Header.Set(emulator.AzureKeyHeader, "my-subscription-key")
	tok, status := send(req)
	fmt.Println("issueToken:", status)

	req, _ = http.NewRequest(http.MethodPost, speech.URL, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	body, status := send(req)
	fmt.Println("speech:", status, body)

	req, _ = http.NewRequest(http.MethodPost, speech.URL, nil)
	req.Header.Set("Authorization", "Bearer forged")
	_, status = send(req)
	fmt.Println("forged:", status)
	// Output:
	// issueToken: 200
	// speech: 200 recognized
	// forged: 401
}

// Voicegain: the console JWT buys a short-lived JWT for a browser origin.
func ExampleStartVoicegain() {
	vg := emulator.StartVoicegain()
	defer vg.Close()
	apiURL := vg.URL + "/v1"

	req, _ := http.NewRequest(http.MethodGet, apiURL+"/security/jwt?aud=app.example.com&expInSec=300", nil)
	req.Header.Set("Authorization", "Bearer "+vg.ConsoleJWT())
	req.Header.Set("Accept", "text/plain")
	short, status := send(req) // the bare JWT, as text/plain
	fmt.Println("security/jwt:", status)

	for _, origin := range []string{"https://app.example.com", "https://evil.example.net"} {
		req, _ = http.NewRequest(http.MethodPost, apiURL+"/asr/transcribe", nil)
		req.Header.Set("Authorization", "Bearer "+short)
		req.Header.Set("Origin", origin)
		_, status = send(req)
		fmt.Println(origin, status)
	}
	fmt.Println("issued:", vg.Issued())
	// Output:
	// security/jwt: 200
	// https://app.example.com 200
	// https://evil.example.net 403
	// issued: 1
}

// Symphony's rules for a customer-signed token, checked directly. With
// RefuseReplay a token verifies once: its jti cannot be replayed.
func ExampleSymphony_Verify() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier := emulator.NewSymphony()
	verifier.RefuseReplay = true
	verifier.Register("acme", &key.PublicKey)

	now := time.Now()
	sign := func(lifetime time.Duration, jti string) string {
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodRS512, jwt.RegisteredClaims{
			Subject:   emulator.SymphonySubjectPrefix + "acme",
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(lifetime)),
			ID:        jti,
		}).SignedString(key)
		return tok
	}
	tok := sign(5*time.Minute, "jti-1")
	fmt.Println(verifier.Verify(tok))
	fmt.Println(errors.Is(verifier.Verify(tok), emulator.ErrSymphonyReplayed))
	fmt.Println(errors.Is(verifier.Verify(sign(time.Hour, "jti-2")), emulator.ErrSymphonyLifetime))
	// Output:
	// <nil>
	// true
	// true
}

// Fault injection: the next two requests get 503, then the endpoint
// behaves. Faulted requests issue nothing, so Issued counts only the
// success.
func ExampleFaults() {
	idp := emulator.StartIAM()
	defer idp.Close()
	idp.AddAPIKey("my-api-key")
	idp.Faults.Set(emulator.Fault{Status: http.StatusServiceUnavailable, Times: 2})

	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, idp.URL, strings.NewReader("grant_type="+url.QueryEscape(emulator.IAMGrantType)+"&apikey=my-api-key"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		_, status := send(req)
		fmt.Println(status)
	}
	fmt.Println("issued:", idp.Issued())
	// Output:
	// 503
	// 503
	// 200
	// issued: 1
}

// A rate limit: 429 with Retry-After, until cleared.
func ExampleFault_retryAfter() {
	az := emulator.StartAzure()
	defer az.Close()
	az.AddKey("my-subscription-key")
	az.Faults.Set(emulator.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second})

	issue := func() {
		req, _ := http.NewRequest(http.MethodPost, az.URL, nil)
		req.Header.Set(emulator.AzureKeyHeader, "my-subscription-key")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	issue()
	issue()
	az.Faults.Clear()
	issue()
	// Output:
	// 429 2
	// 429 2
	// 200
}

// The audio gateway admits a websocket session whose bearer token the IAM
// emulator issued.
func ExampleStartAudioGateway() {
	idp := emulator.StartIAM()
	defer idp.Close()
	idp.AddAPIKey("my-api-key")
	gw := emulator.StartAudioGateway(idp)
	defer gw.Close()

	// The token a client would fetch from IAM (the iam provider does).
	tok, err := idp.IssueToken("my-api-key")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	// As the gateway's authentication page shows: no path, the session's
	// parameters in the query, the IAM token on the upgrade request.
	wsURL := "ws" + strings.TrimPrefix(gw.URL, "http") + "?skillset=demo&userID=u1&language=en-US"
	c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	// Stream audio at once: the gateway sends no greeting.
	if err := c.Write(ctx, websocket.MessageBinary, make([]byte, 3200)); err != nil {
		fmt.Println(err)
		return
	}
	_ = c.Close(websocket.StatusNormalClosure, "")
	s, _ := gw.LastSession()
	fmt.Println(s.Skillset, s.UserID, s.Language)
	fmt.Println("sessions:", gw.Sessions(), "audio bytes:", gw.AudioBytes())
	// Output:
	// demo u1 en-US
	// sessions: 1 audio bytes: 3200
}

// send does req and returns the body and status; a transport error prints
// and returns status 0.
func send(req *http.Request) (string, int) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return "", 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b)), resp.StatusCode
}

// A Source stands for a registry's *host.Source in a test of code that
// sends tokens: here an http.Client whose API has revoked the first token.
// The transport drops it, the source mints another, and the request is
// sent again.
func ExampleSource() {
	src := emulator.NewSource("demo")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer demo-token-2" {
			http.Error(w, "token revoked", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "ok")
	}))
	defer api.Close()
	client := &http.Client{Transport: transport.New(nil, src, transport.WithHosts(api.Listener.Addr().String()))}
	defer client.CloseIdleConnections()

	resp, err := client.Get(api.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body), "tokens minted:", src.Minted())
	// Output: 200 ok tokens minted: 2
}

// A standard authorization server, used by x/oauth2's client credentials
// flow; the secret holds characters RFC 6749 §2.3.1 form-encodes.
func ExampleStartOAuth2() {
	idp := emulator.StartOAuth2()
	defer idp.Close()
	_ = idp.AddClient(emulator.OAuth2Client{ID: "my-app", Secret: "s3:cr+t/%&=", Scopes: []string{"orders.read"}})

	conf := clientcredentials.Config{
		ClientID:     "my-app",
		ClientSecret: "s3:cr+t/%&=",
		TokenURL:     idp.TokenURL(),
		Scopes:       []string{"orders.read"},
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	tok, err := conf.Token(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	claims, err := idp.Claims(tok.AccessToken)
	fmt.Println(tok.TokenType, claims["client_id"], claims["scope"], err)

	// A refresh token of the client's, rotated at each use.
	rt, _ := idp.IssueRefreshToken("my-app", "orders.read")
	resp, _ := http.PostForm(idp.TokenURL(), url.Values{
		"grant_type": {emulator.GrantRefreshToken}, "refresh_token": {rt},
		"client_id": {"my-app"}, "client_secret": {"s3:cr+t/%&="},
	})
	resp.Body.Close()
	again, _ := http.PostForm(idp.TokenURL(), url.Values{
		"grant_type": {emulator.GrantRefreshToken}, "refresh_token": {rt},
		"client_id": {"my-app"}, "client_secret": {"s3:cr+t/%&="},
	})
	again.Body.Close()
	fmt.Println("first use:", resp.StatusCode, "second use:", again.StatusCode)
	fmt.Println("issued:", idp.Issued())
	// Output:
	// Bearer my-app orders.read <nil>
	// first use: 200 second use: 400
	// issued: 2
}
