package oauth2

import "context"

// refresher holds the current refresh token of a GrantRefreshToken source.
// A refresh token may be single-use (RFC 9700 §4.14.2: servers rotate
// them and revoke the whole family when a spent one comes back), so one
// request at a time may hold it, from sending it until the answer's
// rotated token replaces it. Waiting honours the caller's context, unlike
// a sync.Mutex.
type refresher struct {
	sem   chan struct{} // one slot: held while a request spends token
	token string        // guarded by sem
}

func newRefresher(initial string) *refresher {
	return &refresher{sem: make(chan struct{}, 1), token: initial}
}

// acquire waits for the refresh token. release must be called once, with
// the rotated token the server issued, or "" to keep the current one
// (RFC 6749 §6: the server may answer without a new refresh token).
func (r *refresher) acquire(ctx context.Context) (token string, release func(next string), err error) {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
	return r.token, func(next string) {
		if next != "" {
			r.token = next
		}
		<-r.sem
	}, nil
}
