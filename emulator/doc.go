// Package emulator runs local fakes of the vendor endpoints tokenplug talks
// to, so that you can test an application that uses tokenplug (or any other
// client of these vendors) offline, with no account and no secrets. It is to
// these vendors what net/http/httptest is to HTTP.
//
// Each emulator is an http.Handler. StartIAM, StartAzure, StartVoicegain,
// StartSymphony, StartAudioGateway and StartOAuth2 return one already serving on a fresh
// port of 127.0.0.1, with its base URL in the URL field and a Close method,
// like an httptest.Server; the emulators only ever listen on 127.0.0.1. The
// New functions return the same handlers unstarted, for mounting in your own
// server (httptest.NewServer, a mux) or for setting Lifetime and Now before
// serving.
//
// What each one emulates, and the vendor rules it enforces:
//
//   - IAM: IBM Cloud IAM's token endpoint (POST /identity/token) for the API
//     key grant. POST, a form body, grant_type
//     urn:ibm:params:oauth:grant-type:apikey, a registered apikey (else
//     IBM's 400 BXNIM0415E), optional client credentials in Basic auth
//     (any pair until AddClient registers some), an optional scope added to
//     the token's; IBM's error JSON; RS256 JWTs with IBM's claims, expires_in and
//     expiration, living one hour. Verify checks a token as an IBM service
//     would.
//   - Azure: the Cognitive Services issueToken endpoint
//     (POST /sts/v1.0/issueToken). A registered Ocp-Apim-Subscription-Key
//     (else Azure's 401 JSON; also for a regional host of another region);
//     a text/plain RS256 JWT for the region, living ten minutes, valid only
//     in the host family (public cloud, Azure Government, Azure China,
//     loopback) of the Host it was issued on. RequireAuth wraps your
//     resource so it accepts the token or the key, as Azure's speech
//     endpoints do.
//   - Voicegain: the web API's JWT scheme. GET /v1/security/jwt, authorised
//     by a console JWT, issues short-lived JWTs bound to an Origin host
//     (aud, a port allowed, at most 128 characters), expInSec 1 to 3600,
//     answered as text/plain (406 when the Accept header does not admit
//     text/plain); /v1/asr/... accepts a console JWT, or a
//     short-lived JWT whose aud matches the Origin when one is sent.
//     Several console JWTs may be valid at once, as since Voicegain 1.91.0
//     (AddConsoleJWT, RevokeConsoleJWT, RegenerateConsoleJWT).
//   - Symphony: Symphony Connect's check of customer-signed tokens. RS512
//     only, with a registered public key named by sub "ces:customer:<name>",
//     iat and exp present, iat not ahead and exp not past (30 seconds'
//     leeway), exp at most 30 minutes after iat, and a jti; each broken rule
//     is a 401 with its own code and message. A token may be used again until it expires, as nothing in
//     Symphony's documentation makes it single-use; RefuseReplay refuses a jti seen before. Use
//     Verify directly, or serve it as a resource that requires such a
//     bearer token.
//   - AudioGateway: a Watson audio gateway, a websocket endpoint that admits
//     a client as the gateway's authentication page shows
//     (wss://<host>[:port]?skillset=..&userID=..&language=.., with a bearer
//     token some Verifier accepts, an *IAM or *Azure, on the upgrade),
//     requires the skillset and userID query parameters, sends nothing
//     first, and echoes every message (the echo is the emulator's own).
//   - OAuth2: a standard OAuth 2.0 authorization server's token side, the
//     one every vendor's dialect departs from: RFC 8414 and OpenID
//     discovery, a JWKS, and a token endpoint for registered clients
//     (AddClient: client_secret_basic with RFC 6749 §2.3.1 form decoding,
//     client_secret_post, private_key_jwt with RSA or EC keys and, for a
//     certificate, the x5t#S256 header; federated credentials admitting a
//     trusted issuer's token, as Entra ID's workload identity; or none for
//     a public client) with
//     four grants: client_credentials, jwt-bearer (RFC 7523, from a client
//     key or a TrustIssuer issuer), refresh_token with rotation
//     (IssueRefreshToken mints the first) and token exchange (RFC 8693).
//     Assertion jti values are never accepted twice; scope beyond a
//     client's Scopes is invalid_scope; audience, resource (RFC 8707) and
//     a claims request show in the RS256 access token; errors are RFC 6749
//     §5.2 JSON. Verify and Claims check a token; Requests shows what each
//     request sent (no secrets).
//
// Source is not a vendor but stands for one: a fake token provider to
// pass to transport.New or grpccreds.New where an application passes a
// registry's *host.Source, for tests of the sending side with no plugin.
//
// Every emulator counts what it does (IAM.Issued, Azure.Issued, OAuth2.Issued,
// Voicegain.Issued, Symphony.Accepted, AudioGateway.Sessions and
// AudioGateway.AudioBytes) and has a Faults field: Faults.Set(Fault{...})
// makes the next requests (Fault.Times of them, or all until Faults.Clear)
// fail with a status (with Retry-After and a Body of your choosing, such as
// an OAuth2 {"error":"slow_down"}, if asked), answer slowly, answer
// garbage or answer an oversized body. A fault is applied before any check
// and a faulted request is not counted.
//
// What they do not emulate: TLS (they serve plain http on loopback; point a
// client at them with an http URL to 127.0.0.1), DNS for the vendors'
// hostnames (Azure reads the Host header to scope its tokens), the
// vendors' paths (every emulator but Voicegain and OAuth2 answers on any
// path), vendors' refresh tokens, rate limits other than the ones you inject, IAM grants other than the API
// key, Azure resources other than RequireAuth's wrapper, and the gateway's
// speech processing. Tokens are signed with each emulator's own RSA key made
// when it is created (about 100 ms each), so a real vendor never accepts
// them and one emulator does not accept another's.
//
// All methods are safe for concurrent use, including while serving. The
// exported fields Lifetime, Region, JSON, RefuseReplay, Issuer and Now are read on
// every request: set them before sending requests, not while any are in flight.
package emulator
