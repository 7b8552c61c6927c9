// Package oauth2 is the tokenplug provider for any standard OAuth 2.0
// authorization server (Entra ID, Okta, Auth0, Keycloak, Ory Hydra, an
// in-house one): it fetches an access token from the server's token
// endpoint with one of four grants and four client authentication methods,
// and sends it as Authorization: Bearer. Its binary lives in
// cmd/tokenplug-oauth2; the tokenplug CLI serves it built in.
//
// Other providers build on it in Go: Config and NewTokenSource give a
// *TokenSource for one client of one token endpoint, with the same
// validation, error classes and redaction (azure's entra mode does).
//
// Settings (all optional unless said):
//
//	token_url              the token endpoint: https, or http to loopback only
//	issuer                 instead of token_url: the issuer, whose metadata
//	                       (RFC 8414 /.well-known/oauth-authorization-server,
//	                       then OpenID /.well-known/openid-configuration)
//	                       names the token endpoint; the document's issuer
//	                       must equal the setting. Discovered at the first
//	                       fetch and kept for the configuration's life
//	grant                  client_credentials (default; RFC 6749 §4.4),
//	                       jwt_bearer (RFC 7523 §2.1: a JWT signed with the
//	                       private key is the grant), refresh_token (RFC 6749
//	                       §6), token_exchange (RFC 8693)
//	client_id              the client id
//	client_secret          secret
//	client_auth            basic (default when client_secret is set: RFC 6749
//	                       §2.3.1, id and secret form-encoded before base64),
//	                       post (in the form), private_key_jwt (RFC 7523 §2.2:
//	                       a JWT signed with the private key, or the contents
//	                       of client_assertion_file; the default when that is
//	                       set), none (default otherwise: client_id only).
//	                       With grant jwt_bearer the key signs the grant's
//	                       assertion and client_auth still applies
//	private_key            secret: PEM, RSA (2048 bits or more) or EC P-256,
//	                       PKCS#1, SEC1 or PKCS#8; or private_key_file
//	signing_alg            RS256 (default for RSA), PS256, ES256 (default for EC)
//	key_id                 the signed JWTs' kid header
//	client_assertion_file  a ready client assertion (a projected Kubernetes
//	                       service-account token, a CI OIDC token), read again
//	                       at every fetch: workload identity federation
//	assertion_issuer       jwt_bearer assertion's iss (default client_id)
//	assertion_subject      its sub (default client_id)
//	assertion_audience     its aud (default the token endpoint)
//	subject_token_file     token_exchange: the subject token, read at every fetch
//	subject_token_type     default urn:ietf:params:oauth:token-type:jwt
//	actor_token_file       token_exchange: the actor token, read at every fetch
//	actor_token_type       default urn:ietf:params:oauth:token-type:jwt
//	requested_token_type   token_exchange: sent when set
//	refresh_token          secret: refresh_token's initial refresh token. A
//	                       rotated one replaces it, and the token that brought
//	                       it asks the host to keep it (a settings update),
//	                       so it survives a plugin restart
//	scope                  space-separated scopes (RFC 6749 §3.3)
//	audience               sent as audience (RFC 8693; Auth0, Okta)
//	resource               sent as resource (RFC 8707)
//	challenge_scopes       space-separated scopes a resource server's
//	                       WWW-Authenticate challenge may add (default none)
//
// Every signed assertion has iss, sub, aud, iat, nbf, exp five minutes
// after iat, and a fresh random jti. A token's expiry is read from
// expires_in, else from the JWT's exp, else DefaultLifetime (an hour).
//
// Errors: an RFC 6749 §5.2 error response names its code and
// error_description (redacted of every secret, control characters dropped,
// bounded). invalid_client, invalid_grant, unauthorized_client,
// invalid_scope, unsupported_grant_type and the other codes are permanent;
// temporarily_unavailable, server_error and 5xx temporary; 429 and
// slow_down rate limited, with Retry-After. A 200 without access_token, or
// with a token_type other than Bearer (DPoP, N_A), is a permanent error.
//
// Challenges (RFC 6750 §3): the token source answers a scope challenge
// within challenge_scopes and an Entra ID claims challenge; see
// TokenSource.TokenForChallenge.
//
// The provider declares no default hosts: a generic server says nothing
// about where its tokens are used, so configure hosts.
package oauth2
