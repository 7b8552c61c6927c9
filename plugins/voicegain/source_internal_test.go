package voicegain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenplug/tokenplug/plugin"
)

func TestStaticSourceFailsPermanentlyOnceTheConsoleJWTExpires(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	now := exp.Add(-time.Second)
	s := &staticSource{jwt: "header.claims.sig", exp: exp, now: func() time.Time { return now }}
	if tok, err := s.Token(); err != nil || !tok.Expiry.Equal(exp) {
		t.Fatalf("before exp: %v, %v", tok, err)
	}
	now = exp
	_, err := s.Token()
	if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), "expired at 2030-01-01T00:00:00Z") {
		t.Fatalf("at exp: err = %v, want permanent naming the expiry", err)
	}
	if strings.Contains(err.Error(), s.jwt) {
		t.Error("error contains the console jwt")
	}
}
