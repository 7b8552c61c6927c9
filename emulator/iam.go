package emulator

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// IAMGrantType is the grant_type IBM documents for exchanging an API key
	// at POST https://iam.cloud.ibm.com/identity/token; the emulator accepts
	// no other.
	IAMGrantType    = "urn:ibm:params:oauth:grant-type:apikey"
	iamResponseType = "cloud_iam"
	iamBaseScope    = "ibm openid" // every IAM token's scope
	iamIssuer       = "https://iam.cloud.ibm.com/identity"
	// IBM IAM access tokens live one hour (expires_in 3600).
	iamDefaultLifetime = 3600 * time.Second
)

// IAM emulates IBM Cloud IAM's token endpoint for the API key grant. It is an
// http.Handler answering on any path (mount it where the real endpoint's
// /identity/token would be). Create it with StartIAM, or NewIAM to serve it
// yourself.
//
// Like the real endpoint, it checks, in order: the injected Faults; the
// method is POST (else 405); the body is application/x-www-form-urlencoded
// (else 400); client credentials in Authorization: Basic (else 400): by
// default any pair with a client id is accepted, as the real service accepts
// the valid pairs it knows and the emulator cannot tell which yours are;
// once pairs are registered with AddClient, only those are, and a request
// must send one; grant_type is urn:ibm:params:oauth:grant-type:apikey;
// apikey is present and registered (else 400 with IBM's BXNIM0415E
// "Provided API key could not be found."); response_type, when sent,
// includes cloud_iam. An optional scope form field, as IBM/go-sdk-core's
// IamAuthenticator sends its Scope, is added to the token's scope ("ibm
// openid <scope>") and to the answer's. Errors use IBM's JSON shape
// {"errorCode","errorMessage","errorDetails","context":{...}}; BXNIM0415E is
// IBM's code, the other codes are the emulator's own.
//
// A success is IBM's JSON: access_token (an RS256 JWT signed with the
// emulator's own RSA key, with IBM's claims), refresh_token "not_supported",
// token_type "Bearer", expires_in, expiration (unix seconds) and scope
// "ibm openid".
//
// It does not emulate other grants (refresh_token, passcode, trusted
// profiles), token revocation or IBM's rate limits.
//
// Set Lifetime and Now before sending requests; the methods are safe for
// concurrent use, also while serving.
type IAM struct {
	// URL is the base URL StartIAM serves on ("http://127.0.0.1:<port>");
	// it is the token_url to give a client, as the endpoint answers on any
	// path. Empty for an IAM from NewIAM.
	URL string
	// Faults makes the endpoint misbehave; it is applied before any check.
	Faults Faults
	// Lifetime of issued tokens. NewIAM sets IBM's 3600 s.
	Lifetime time.Duration
	// Now is the emulator's clock for iat, exp and Verify; nil means
	// time.Now. Tests move it to expire tokens without sleeping.
	Now func() time.Time

	signer *signer
	server loopback

	mu      sync.Mutex        // guards keys and clients
	keys    map[string]string // API key -> IAM id of its service ID
	clients map[string]string // client id -> client secret
}

// NewIAM returns an IAM emulator with its own RSA signing key, IBM's token
// lifetime, and no API keys registered.
func NewIAM() *IAM {
	return &IAM{
		Lifetime: iamDefaultLifetime,
		signer:   newSigner(iamIssuer),
		keys:     map[string]string{},
		clients:  map[string]string{},
	}
}

// StartIAM returns an IAM emulator, as NewIAM makes it, already serving on a
// fresh port of 127.0.0.1 at its URL. Call Close when done.
func StartIAM() *IAM {
	e := NewIAM()
	e.URL = e.server.start(e)
	return e
}

// Close stops the server StartIAM started and waits for requests in flight.
// It does nothing for an IAM from NewIAM.
func (e *IAM) Close() { e.server.close() }

// AddAPIKey registers an API key the endpoint accepts, under a service ID
// of its own (the token's iam_id and sub). There is no way to remove one.
func (e *IAM) AddAPIKey(apikey string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys[apikey] = "iam-ServiceId-" + randomID(16)
}

// AddClient registers client credentials. Until any are registered, every
// Basic auth pair with a client id is accepted; once some are, every
// request must authenticate with HTTP Basic auth as one of them.
func (e *IAM) AddClient(id, secret string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clients[id] = secret
}

// Issued returns how many tokens the endpoint has issued. Refused and
// faulted requests do not count.
func (e *IAM) Issued() int64 { return e.signer.issued.Load() }

// Verify reports whether token is an unexpired access token this emulator
// issued, checking its RS256 signature, issuer and scope, as an IBM service
// checks an IAM token.
func (e *IAM) Verify(token string) error {
	claims, err := e.signer.verify(token, clock(e.Now))
	if err != nil {
		return fmt.Errorf("emulator/iam: invalid token: %w", err)
	}
	if sc, _ := claims["scope"].(string); sc != iamBaseScope && !strings.HasPrefix(sc, iamBaseScope+" ") {
		return errors.New("emulator/iam: invalid token: wrong scope")
	}
	return nil
}

// ServeHTTP answers a token request.
func (e *IAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.Faults.apply(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		iamError(w, r, http.StatusMethodNotAllowed, "BXNIM0001E", "Method not allowed.", "only POST is supported")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		iamError(w, r, http.StatusBadRequest, "BXNIM0109E", "Property missing or empty.", "Content-Type must be application/x-www-form-urlencoded")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10) // a token request is a few hundred bytes
	if err := r.ParseForm(); err != nil {
		iamError(w, r, http.StatusBadRequest, "BXNIM0109E", "Property missing or empty.", "unreadable form body")
		return
	}
	clientID, ok := e.checkClient(r)
	if !ok {
		iamError(w, r, http.StatusBadRequest, "BXNIM0436E", "The client credentials are not valid.", "")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != IAMGrantType {
		iamError(w, r, http.StatusBadRequest, "BXNIM0103E", "Unsupported grant type.", "grant_type must be "+IAMGrantType)
		return
	}
	if rt := r.PostForm.Get("response_type"); rt != "" && !slices.Contains(strings.Fields(rt), iamResponseType) {
		iamError(w, r, http.StatusBadRequest, "BXNIM0109E", "Property missing or empty.", "unsupported response_type")
		return
	}
	apikey := r.PostForm.Get("apikey")
	if apikey == "" {
		iamError(w, r, http.StatusBadRequest, "BXNIM0109E", "Property missing or empty.", "Property apikey is missing.")
		return
	}
	e.mu.Lock()
	iamID, known := e.keys[apikey]
	e.mu.Unlock()
	if !known {
		iamError(w, r, http.StatusBadRequest, "BXNIM0415E", "Provided API key could not be found.", "")
		return
	}
	e.issue(w, r, iamID, clientID, iamScope(r.PostForm.Get("scope")))
}

// iamScope is the scope of a token issued for a request's scope field:
// IBM's "ibm openid", plus what was asked for.
func iamScope(requested string) string {
	if f := strings.Fields(requested); len(f) > 0 {
		return iamBaseScope + " " + strings.Join(f, " ")
	}
	return iamBaseScope
}

// checkClient validates Basic auth. It returns the client id ("default", as
// IBM names it, when none is sent) and whether the credentials are good.
func (e *IAM) checkClient(r *http.Request) (string, bool) {
	id, secret, sent := r.BasicAuth()
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case !sent:
		return "default", len(e.clients) == 0
	case len(e.clients) == 0:
		return id, id != ""
	}
	want, known := e.clients[id]
	return id, known && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1
}

func (e *IAM) issue(w http.ResponseWriter, r *http.Request, iamID, clientID, scope string) {
	tok, exp, err := e.mint(iamID, clientID, scope)
	if err != nil {
		iamError(w, r, http.StatusInternalServerError, "BXNIM0002E", "Internal error.", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  tok,
		"refresh_token": "not_supported",
		"token_type":    "Bearer",
		"expires_in":    int64(e.Lifetime / time.Second),
		"expiration":    exp.Unix(),
		"scope":         scope,
	})
}

// IssueToken returns an access token for a registered API key, as a token
// request with it and no client credentials would, counted by Issued and
// accepted by Verify. It is for tests that need a valid IAM token without
// a token request, such as those of a service that checks IAM tokens (see
// AudioGateway); Faults do not apply. Its error names no key.
func (e *IAM) IssueToken(apikey string) (string, error) {
	e.mu.Lock()
	iamID, known := e.keys[apikey]
	e.mu.Unlock()
	if !known {
		return "", errors.New("emulator/iam: API key not registered (see AddAPIKey)")
	}
	tok, _, err := e.mint(iamID, "default", iamBaseScope)
	return tok, err
}

// mint signs a token for the service ID iamID, issued now and expiring
// after Lifetime.
func (e *IAM) mint(iamID, clientID, scope string) (string, time.Time, error) {
	now := clock(e.Now).Truncate(time.Second)
	exp := now.Add(e.Lifetime)
	tok, err := e.signer.issue(jwt.MapClaims{
		"iam_id":     iamID,
		"id":         iamID,
		"realmid":    "iam",
		"jti":        randomID(16),
		"identifier": strings.TrimPrefix(iamID, "iam-"),
		"sub":        strings.TrimPrefix(iamID, "iam-"),
		"sub_type":   "ServiceId",
		"account":    map[string]any{"valid": true, "bss": "emulator"},
		"grant_type": IAMGrantType,
		"scope":      scope,
		"client_id":  clientID,
		"acr":        1,
		"amr":        []string{"pwd"},
	}, now, exp)
	return tok, exp, err
}

// iamErrorBody is IBM IAM's error JSON, fields in IBM's order so the code
// and message lead any truncated snippet of it.
type iamErrorBody struct {
	ErrorCode    string          `json:"errorCode"`
	ErrorMessage string          `json:"errorMessage"`
	ErrorDetails string          `json:"errorDetails,omitempty"`
	Context      iamErrorContext `json:"context"`
}

type iamErrorContext struct {
	RequestID   string `json:"requestId"`
	RequestType string `json:"requestType"`
	UserAgent   string `json:"userAgent"`
	URL         string `json:"url"`
	Host        string `json:"host"`
	StartTime   string `json:"startTime"`
	EndTime     string `json:"endTime"`
	ElapsedTime string `json:"elapsedTime"`
	Locale      string `json:"locale"`
	ClusterName string `json:"clusterName"`
}

// iamError writes IBM IAM's error JSON. It never echoes request values.
func iamError(w http.ResponseWriter, r *http.Request, status int, code, msg, details string) {
	now := time.Now().UTC().Format("02.01.2006 15:04:05:000 MST")
	writeJSON(w, status, iamErrorBody{
		ErrorCode: code, ErrorMessage: msg, ErrorDetails: details,
		Context: iamErrorContext{
			RequestID: randomID(16), RequestType: "incoming.Identity_Token", UserAgent: r.UserAgent(),
			URL: "https://iam.cloud.ibm.com", Host: "emulator", StartTime: now, EndTime: now,
			ElapsedTime: "0", Locale: "en_US", ClusterName: "emulator",
		},
	})
}
