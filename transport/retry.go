package transport

import (
	"io"
	"net/http"

	"golang.org/x/oauth2"
)

// maxDrain bounds how much of a rejected response is read so that its
// connection can be reused; net/http reads the same amount (2 KiB) of a
// redirect's body before following it. Larger bodies close the connection.
const maxDrain = 2 << 10

// retry handles a 401 that rejected used. The token is invalidated in any
// case, so the next request gets a fresh one; the request is sent again once,
// and only when its body can be replayed and the source has a different token
// to offer.
func (t *Transport) retry(req *http.Request, resp *http.Response, used *oauth2.Token) (*http.Response, error) {
	t.inv.Invalidate(used)
	if !replayable(req) {
		return resp, nil
	}
	fresh, err := t.token(req)
	if err != nil || fresh.AccessToken == used.AccessToken {
		// Nothing better to send: the server's answer is the most useful
		// thing to return, and the next request will see the source's error.
		return resp, nil
	}
	body, err := replayBody(req)
	if err != nil {
		return resp, nil
	}
	drain(resp.Body)
	return t.send(req, body, fresh)
}

// replayBody returns req's body for a second sending (of a replayable req).
func replayBody(req *http.Request) (io.ReadCloser, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req.Body, nil
	}
	return req.GetBody()
}

// replayable reports whether req's body can be sent a second time.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, maxDrain)
	body.Close()
}
