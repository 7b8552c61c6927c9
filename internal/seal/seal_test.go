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

func TestSealedSettingsOpenOnlyAsSettingsUnderTheirKey(t *testing.T) {
	_, aead, err := seal.Keys(bytes.Repeat([]byte{7}, seal.KeyLen))
	if err != nil {
		t.Fatal(err)
	}
	s := seal.Settings{Gen: 3, Settings: map[string]string{"refresh_token": "rt-3-SECRET"}}
	b, err := seal.SealSettings(aead, "k", s)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("SECRET")) {
		t.Fatal("sealed settings hold the value in the clear")
	}
	got, err := seal.OpenSettings(aead, "k", b)
	if err != nil || got.Gen != 3 || got.Settings["refresh_token"] != "rt-3-SECRET" {
		t.Fatalf("OpenSettings = %+v, %v", got, err)
	}
	if _, err := seal.OpenSettings(aead, "k2", b); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("opened under another key: %v", err)
	}
	if _, err := seal.Open(aead, "k", b); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("sealed settings opened as a token: %v", err)
	}
	tok, _ := seal.Seal(aead, "k", &oauth2.Token{AccessToken: "at"})
	if _, err := seal.OpenSettings(aead, "k", tok); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("a sealed token opened as settings: %v", err)
	}
	mem, err := seal.NewMemoryKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seal.OpenSettings(mem, "k", b); !errors.Is(err, seal.ErrCorrupt) {
		t.Errorf("opened under a fresh memory key: %v", err)
	}
}
