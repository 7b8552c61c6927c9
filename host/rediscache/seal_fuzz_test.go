package rediscache

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/plugin"
)

// fuzzCache returns a Cache sealing with key, without a Redis server (New
// does not connect).
func fuzzCache(t testing.TB, key []byte) *Cache {
	t.Helper()
	c, err := New(Config{URL: "redis://127.0.0.1:1/0", EncryptionKey: base64.StdEncoding.EncodeToString(key)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

const fuzzKey = "tokenplug/iam/0123456789abcdef"

// FuzzOpen opens arbitrary bytes as a stored value, as if someone with
// write access to Redis (but not the encryption key) put them there. Every
// one must be rejected with errCorrupt: a token is only ever returned from
// a value sealed with the key, under the same Redis key. The key is new in
// each process, so the corpus holds only values sealed under other keys;
// the seeds include near misses of this process's own value, and the
// fuzzer may rebuild that exact value, which alone may open.
func FuzzOpen(f *testing.F) {
	key := make([]byte, keyLen)
	_, _ = rand.Read(key)
	c := fuzzCache(f, key)
	valid, err := c.seal(fuzzKey, &oauth2.Token{AccessToken: "tok", Expiry: time.Unix(1e9, 0)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{sealVersion})
	f.Add([]byte{2})
	f.Add(bytes.Repeat([]byte{sealVersion}, 64))
	f.Add([]byte(`{"access_token":"forged"}`))
	f.Add(append([]byte{sealVersion}, make([]byte, 12+16)...))
	f.Add(valid[:len(valid)-1])
	f.Add(append(bytes.Clone(valid), 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := c.open(fuzzKey, b)
		if bytes.Equal(b, valid) {
			return
		}
		if err != errCorrupt || tok != nil {
			t.Fatalf("open(%x) = %v, %v; want nil, errCorrupt", b, tok, err)
		}
	})
}

// FuzzSealTamper seals a token, checks it opens to the same token, then
// tampers with the value (flips bits at pos, truncates it to cut bytes,
// appends junk, moves it to another Redis key, opens it with another
// encryption key). Every tampered value must be rejected.
func FuzzSealTamper(f *testing.F) {
	c, other := fuzzCache(f, bytes.Repeat([]byte{1}, keyLen)), fuzzCache(f, bytes.Repeat([]byte{2}, keyLen))
	f.Add("tok", "Bearer", "", int64(1e9), int64(0), uint16(0), byte(1), uint16(0), []byte{})
	f.Add("eyJhbGciOi.x.y", "", "Ocp-Apim-Subscription-Key", int64(0), int64(1e9), uint16(13), byte(0x80), uint16(1), []byte("x"))
	f.Add("t\xff\x00ok", "bearer", "X-Auth", int64(-62135596800), int64(253402300799), uint16(500), byte(0xff), uint16(40), []byte{0})
	f.Fuzz(func(t *testing.T, access, typ, header string, expiry, refresh int64, pos uint16, flip byte, cut uint16, junk []byte) {
		if access == "" || len(access) > 4096 {
			t.Skip() // seal is only called with a token; bound the work
		}
		tok := &oauth2.Token{AccessToken: access, TokenType: typ}
		if expiry != 0 {
			tok.Expiry = time.Unix(expiry, 0)
		}
		if header != "" {
			tok = plugin.WithHeader(tok, header)
		}
		if refresh != 0 {
			tok = plugin.WithRefreshAt(tok, time.Unix(refresh, 0))
		}
		v, err := c.seal(fuzzKey, tok)
		if err != nil {
			return // a time encoding/json cannot write (year outside 0-9999): an error, not a panic
		}
		checkOpen(t, c, v, tok)
		rejected := map[string][]byte{
			"truncated": v[:int(cut)%len(v)],
			"extended":  append(bytes.Clone(v), append(junk, 0)...),
		}
		if flip != 0 {
			b := bytes.Clone(v)
			b[int(pos)%len(b)] ^= flip
			rejected["flipped"] = b
		}
		for what, b := range rejected {
			if got, err := c.open(fuzzKey, b); err == nil || got != nil {
				t.Fatalf("%s value opened: %v", what, got)
			}
		}
		if got, err := c.open(fuzzKey+"x", v); err == nil || got != nil {
			t.Fatalf("value opened under another Redis key: %v", got)
		}
		if got, err := other.open(fuzzKey, v); err == nil || got != nil {
			t.Fatalf("value opened with another encryption key: %v", got)
		}
	})
}

// checkOpen opens v and compares the token with the one sealed. Strings
// that are not UTF-8 come back with U+FFFD in place of the bad bytes
// (encoding/json); no such token reaches the cache, since protobuf strings
// at the plugin boundary are UTF-8.
func checkOpen(t *testing.T, c *Cache, v []byte, want *oauth2.Token) {
	t.Helper()
	got, err := c.open(fuzzKey, v)
	if err != nil {
		t.Fatalf("open of a fresh seal: %v", err)
	}
	same := func(a, b string) bool { return a == b || !utf8.ValidString(b) }
	if !same(got.AccessToken, want.AccessToken) || !same(got.TokenType, want.TokenType) ||
		!same(plugin.HeaderOf(got), plugin.HeaderOf(want)) || !got.Expiry.Equal(want.Expiry) ||
		!plugin.RefreshAtOf(got).Equal(plugin.RefreshAtOf(want)) {
		t.Fatalf("round trip: got %+v header %q refresh %v, want %+v header %q refresh %v", got, plugin.HeaderOf(got),
			plugin.RefreshAtOf(got), want, plugin.HeaderOf(want), plugin.RefreshAtOf(want))
	}
}
