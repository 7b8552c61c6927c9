// Package authheader turns an oauth2.Token into the request header that
// carries it. It is shared by transport and grpccreds so both put a token in
// the same place.
package authheader

import "golang.org/x/oauth2"

// Extra is the oauth2.Token extra naming the header (plugin.ExtraHeader).
const Extra = "header"

// Authorization is the default header.
const Authorization = "Authorization"

// For returns the header name and value for tok. With no header extra (or
// "Authorization"), the value is "<type> <token>" with the type's canonical
// case (bearer -> Bearer); any other header carries the access token raw, as
// Azure's Ocp-Apim-Subscription-Key does.
func For(tok *oauth2.Token) (name, value string) {
	name, _ = tok.Extra(Extra).(string)
	if name == "" || name == Authorization {
		return Authorization, tok.Type() + " " + tok.AccessToken
	}
	return name, tok.AccessToken
}
