package seal_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
	"github.com/tokenplug/tokenplug/internal/seal"
)

func TestSealOpensOnlyUnderItsKeyAndSecret(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, seal.KeyLen)
	nameKey, aead, err := seal.Keys(secret)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := tokenplug.WithRefreshAt(tokenplug.WithHeader(&oauth2.Token{AccessToken: "at", TokenType: "Bearer", Expiry: exp}, "X-Token"), exp.Add(-time.Minute))
	key := "iam-" + seal.Hash(nameKey, "iam", map[string]string{"apikey": "k"})
	b, err := seal.Seal(aead, key, tok)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("at")) && bytes.Contains(b, []byte("X-Token")) {
		t.Fatal("sealed value holds the token in the clear")
	}
	got, err := seal.Open(aead, key, b)
	if err != nil || got.AccessToken != "at" || !got.Expiry.Equal(exp) || tokenplug.HeaderOf(got) != "X-Token" || !tokenplug.RefreshAtOf(got).Equal(exp.Add(-time.Minute)) {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	if _, err := seal.Open(aead, key+"x", b); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("opened under another key: %v", err)
	}
	_, other, _ := seal.Keys(bytes.Repeat([]byte{8}, seal.KeyLen))
	if _, err := seal.Open(other, key, b); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("opened under another secret: %v", err)
	}
	b[len(b)-1] ^= 1
	if _, err := seal.Open(aead, key, b); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("opened a tampered value: %v", err)
	}
	if seal.Hash(nameKey, "iam", map[string]string{"apikey": "k"}) == seal.Hash(nameKey, "iam", map[string]string{"apikey": "k2"}) {
		t.Error("different settings hash alike")
	}
}
