package emulator

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AzureKeyHeader is the header Azure Cognitive Services read a subscription
// key from.
const AzureKeyHeader = "Ocp-Apim-Subscription-Key"

const (
	azureIssuer = "urn:ms.cognitiveservices"
	// Azure documents issueToken tokens as valid for 10 minutes.
	azureDefaultLifetime = 10 * time.Minute
	// Azure's own words for a rejected key, as its gateway returns them.
	azureInvalidKey = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
	azureMissingKey = "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."
)

// Azure emulates the Azure Cognitive Services token endpoint
// (POST https://<region>.api.cognitive.microsoft.com/sts/v1.0/issueToken)
// and, through RequireAuth, a resource that accepts what it issues. It is an
// http.Handler answering on any path. Create it with StartAzure, or NewAzure
// to serve it yourself.
//
// Like the real endpoint, ServeHTTP checks, in order: the injected Faults;
// the method is POST (else 405); Ocp-Apim-Subscription-Key is present and
// registered with AddKey (else 401 with Azure's JSON error
// {"error":{"code":"401","message":"Access denied due to ..."}}); a request
// to a regional host (<region>.api.cognitive.microsoft.com and the
// sovereign clouds' equivalents, by its Host header) of another region than
// Region gets the same 401 ("... use a correct regional API endpoint"). It
// ignores the body, which clients send empty. A success is a text/plain
// RS256 JWT signed with the emulator's own key, with Azure's claims (region,
// subscription-id, product-id, scope "speechservices", aud
// "urn:ms.speechservices.<region>"), valid for Lifetime.
//
// As on the real service, a token is valid only in the host family that
// issued it (AzureCloudOf the request's Host: the public cloud, Azure
// Government, Azure China, or loopback and other hosts): RequireAuth
// refuses a token issued in another family. Tests stand in for the
// vendor's host names with a loopback dialer or a Host header.
//
// It does not emulate the speech services themselves, DNS for the vendor's
// hostnames, or Azure AD (Entra ID) tokens.
//
// Set Region, Lifetime and Now before sending requests; the methods are
// safe for concurrent use, also while serving.
type Azure struct {
	// URL is the base URL StartAzure serves issueToken on
	// ("http://127.0.0.1:<port>"; any path answers). Empty for an Azure from
	// NewAzure.
	URL string
	// Faults makes the token endpoint misbehave; it is applied before any
	// check. RequireAuth does not apply it.
	Faults Faults
	// Region the resource lives in; it goes in the token's claims.
	// NewAzure sets "westus".
	Region string
	// Lifetime of issued tokens. NewAzure sets Azure's 10 minutes.
	Lifetime time.Duration
	// Now is the emulator's clock for iat, exp and Verify; nil means
	// time.Now.
	Now func() time.Time

	signer *signer
	server loopback

	mu   sync.Mutex        // guards keys
	keys map[string]string // subscription key -> subscription id
}

// NewAzure returns an Azure emulator for region westus with its own RSA
// signing key and no subscription keys registered.
func NewAzure() *Azure {
	return &Azure{
		Region:   "westus",
		Lifetime: azureDefaultLifetime,
		signer:   newSigner(azureIssuer),
		keys:     map[string]string{},
	}
}

// StartAzure returns an Azure emulator, as NewAzure makes it, already
// serving its token endpoint on a fresh port of 127.0.0.1 at its URL. Call
// Close when done.
func StartAzure() *Azure {
	e := NewAzure()
	e.URL = e.server.start(e)
	return e
}

// Close stops the server StartAzure started and waits for requests in
// flight. It does nothing for an Azure from NewAzure.
func (e *Azure) Close() { e.server.close() }

// AddKey registers a subscription key.
func (e *Azure) AddKey(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys[key] = randomID(16)
}

// Issued returns how many tokens the endpoint has issued. Refused and
// faulted requests do not count.
func (e *Azure) Issued() int64 { return e.signer.issued.Load() }

// Verify reports whether token is an unexpired token this emulator issued
// for its region, checking its RS256 signature, issuer and audience, in
// whatever host family. VerifyForHost also checks the family.
func (e *Azure) Verify(token string) error {
	_, err := e.verify(token)
	return err
}

// VerifyForHost is Verify for a request sent to host (a Host header): the
// token must also have been issued in host's family (AzureCloudOf), as
// Azure accepts a token only where it was issued.
func (e *Azure) VerifyForHost(token, host string) error {
	claims, err := e.verify(token)
	if err != nil {
		return err
	}
	if issued, want := claims[azureClaimCloud], AzureCloudOf(host); issued != want {
		return fmt.Errorf("emulator/azure: invalid token: issued in host family %v, used in %s", issued, want)
	}
	return nil
}

func (e *Azure) verify(token string) (map[string]any, error) {
	claims, err := e.signer.verify(token, clock(e.Now))
	if err != nil {
		return nil, fmt.Errorf("emulator/azure: invalid token: %w", err)
	}
	if aud, _ := claims.GetAudience(); len(aud) != 1 || aud[0] != "urn:ms.speechservices."+e.Region {
		return nil, errors.New("emulator/azure: invalid token: wrong audience")
	}
	return claims, nil
}

// ServeHTTP answers an issueToken request.
func (e *Azure) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.Faults.apply(w, r) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		azureError(w, http.StatusMethodNotAllowed, "The requested method is not supported. Use POST.")
		return
	}
	sub, msg := e.checkKey(r.Header.Get(AzureKeyHeader))
	if region := azureHostRegion(r.Host); msg == "" && region != "" && region != e.Region {
		msg = azureInvalidKey // the key is good, the regional endpoint wrong
	}
	if msg != "" {
		azureError(w, http.StatusUnauthorized, msg)
		return
	}
	now := clock(e.Now).Truncate(time.Second)
	tok, err := e.signer.issue(jwt.MapClaims{
		"region":                      e.Region,
		"subscription-id":             sub,
		"product-id":                  "SpeechServices.S0",
		"cognitive-services-endpoint": "https://api.cognitive.microsoft.com/internal/v1.0/",
		"azure-resource-id":           "/subscriptions/" + sub + "/resourceGroups/emulator/providers/Microsoft.CognitiveServices/accounts/emulator",
		"scope":                       "speechservices",
		"aud":                         "urn:ms.speechservices." + e.Region,
		azureClaimCloud:               AzureCloudOf(r.Host),
	}, now, now.Add(e.Lifetime))
	if err != nil {
		azureError(w, http.StatusInternalServerError, "Internal error.")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(tok))
}

// RequireAuth wraps a resource (say, a speech endpoint) so it accepts only
// requests carrying either Authorization: Bearer <a token this emulator
// issued, in the request Host's family, and that has not expired> or
// Ocp-Apim-Subscription-Key: <a registered key>, as Azure's resources do.
// Others get Azure's 401.
func (e *Azure) RequireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if key := r.Header.Get(AzureKeyHeader); key != "" {
			if _, msg := e.checkKey(key); msg != "" {
				azureError(w, http.StatusUnauthorized, msg)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if e.VerifyForHost(bearerToken(r), r.Host) != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			azureError(w, http.StatusUnauthorized, "Access denied due to an invalid or expired token.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// checkKey returns the subscription id of key, or Azure's message for why
// it is refused.
func (e *Azure) checkKey(key string) (sub, msg string) {
	if key == "" {
		return "", azureMissingKey
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	sub, ok := e.keys[key]
	if !ok {
		return "", azureInvalidKey
	}
	return sub, ""
}

// azureError writes Azure's error JSON. It never echoes request values.
func azureError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{
		"error": map[string]string{"code": fmt.Sprint(status), "message": msg},
	})
}
