// Package voicegain is the tokenplug provider for Voicegain's JWT scheme.
//
// A Voicegain account holder generates a console JWT in the Voicegain web
// console (Settings > API Security). It references the account and context,
// does not expire, and stays valid until it is deleted or regenerated. Since
// Voicegain release 1.91.0 a context may have several console JWTs at once,
// each valid on its own, so several applications can each have their own.
// The provider has two modes:
//
//   - static (the default) sends the console JWT itself as
//     "Authorization: Bearer <jwt>". It never expires, unless the JWT
//     carries an exp claim, which is honoured: a console JWT already expired
//     is refused by Configure, and one that expires later makes Token fail
//     with a permanent error from then on.
//   - short_lived asks Voicegain for a JWT limited to an audience and a
//     lifetime, for handing to a browser or another less trusted party:
//     GET <api_url>/security/jwt?aud=<audience>&expInSec=<lifetime in
//     whole seconds>, with the console JWT as bearer and Accept: text/plain
//     (voicegain/python-sdk security_api.py). The short-lived JWT is used
//     until its exp claim (or, without one, the requested lifetime).
//     Voicegain checks aud against the Origin of browser requests that
//     send one.
//
// # Settings
//
//	jwt       required, secret: the console JWT, without "Bearer "
//	mode      static (default) or short_lived
//	api_url   default https://api.voicegain.ai/v1; https (plain http to
//	          loopback only, for emulators)
//	audience  short_lived only, required: the browser origin host the JWT
//	          is for: app.example.com, *.example.com or *, optionally with
//	          a port (localhost:8088, as in Voicegain's own example); at
//	          most 128 characters, as Voicegain takes
//	lifetime  short_lived only: default 10m; whole seconds from 1s to 1h,
//	          as Voicegain's expInSec takes 1 to 3600 (a longer one would
//	          be refused with a 400 on every request)
//
// # The short-lived JWT response
//
// Voicegain answers /security/jwt with the bare JWT as text/plain, and the
// provider asks for that. It still accepts each form an API or a proxy in
// front of it could reasonably answer with: a bare JWT as text, a JSON string
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
// A 401 from /security/jwt means the console JWT was deleted or regenerated
// in the console, or is wrong (other console JWTs of the context stay
// valid): the error is permanent and names the provider. A
// 5xx or network failure is temporary, a 429 rate-limited with Retry-After
// honoured. No error or log line ever contains the console JWT.
package voicegain
