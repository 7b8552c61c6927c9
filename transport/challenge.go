package transport

import (
	"net/http"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/wwwauth"
)

// refused handles a 401 or 403 to a request that carried used: a Bearer
// challenge the source may answer, else for a 401 the ordinary
// invalidate-and-retry.
func (t *Transport) refused(req *http.Request, resp *http.Response, used *oauth2.Token) (*http.Response, error) {
	if c, ok := wwwauth.Refusal(resp.Header.Values("Www-Authenticate"), resp.StatusCode == http.StatusForbidden); ok {
		return t.answer(req, resp, c)
	}
	if resp.StatusCode != http.StatusUnauthorized || t.inv == nil {
		return resp, nil
	}
	return t.retry(req, resp, used)
}

// answer sends req once more with the source's token for challenge c, if
// it has one; else it returns resp as it came. Whatever the second
// response says is returned: a second challenge is the caller's to see,
// never a loop. If it rejects the challenge's token itself (a 401 without
// an answerable challenge), that token is invalidated, so the next
// challenge gets a fresh one.
func (t *Transport) answer(req *http.Request, resp *http.Response, c tokenplug.Challenge) (*http.Response, error) {
	if t.chs == nil || !replayable(req) {
		return resp, nil
	}
	tok, err := t.chs.TokenForChallenge(req.Context(), c)
	if err != nil || tok == nil || tok.AccessToken == "" {
		return resp, nil
	}
	body, err := replayBody(req)
	if err != nil {
		return resp, nil
	}
	drain(resp.Body)
	resp2, err := t.send(req, body, tok)
	if err == nil && resp2.StatusCode == http.StatusUnauthorized && t.inv != nil {
		if _, again := wwwauth.Refusal(resp2.Header.Values("Www-Authenticate"), false); !again {
			t.inv.Invalidate(tok)
		}
	}
	return resp2, err
}
