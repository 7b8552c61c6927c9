// Package voicegain is the tokenplug provider for Voicegain's JWT scheme.
//
// A Voicegain account holder generates a console JWT in the Voicegain web
// console (Settings > API Security). It references the account and context,
// does not expire, and stays valid until it is regenerated: only the most
// recent console JWT is accepted. The provider has two modes:
//
//   - static (the default) sends the console JWT itself as
//     "Authorization: Bearer <jwt>". It never expires, unless the JWT
//     carries an exp claim, which is honoured: a console JWT already expired
//     is refused by Configure, and one that expires later makes Token fail
//     with a permanent error from then on.
//   - short_lived asks Voicegain for a JWT limited to an audience and a
//     lifetime, for handing to a browser or another less trusted party:
//     GET <api_url>/security/jwt?aud=<audience>&expInSec=<lifetime in
//     whole seconds> with the console JWT as bearer. The short-lived JWT is
//     used until its exp claim (or, without one, the requested lifetime).
//     Voicegain accepts it only from browser origins whose host matches aud.
//
// # The short-lived JWT response
//
// Voicegain's documentation describes the response of /security/jwt as "the
// JWT" without pinning down its encoding, so the provider accepts each form
// an API could reasonably answer with: a bare JWT as text, a JSON string
// ("eyJ..."), or a JSON object with a "jwt", "token" or "access_token"
// field. It decides by the body's shape, not by Content-Type: a compact
// JWT's alphabet (base64url and dots) contains neither '"' nor '{', so the
// shapes cannot be confused, while servers and proxies do mislabel bodies
// (JSON served as text/plain and the reverse). Content-Type appears only in
// error messages. Whatever the form, the result must parse as a JWT; a body
// that does not is a temporary error, as from a broken proxy.
//
// # Errors
//
// A 401 from /security/jwt means the console JWT was revoked (regenerated in
// the console) or is wrong: the error is permanent and names the provider. A
// 5xx or network failure is temporary, a 429 rate-limited with Retry-After
// honoured. No error or log line ever contains the console JWT.
package voicegain
