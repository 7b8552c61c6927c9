package tokenplug_test

import (
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug"
)

func TestRequestHeaderPicksHeaderAndValue(t *testing.T) {
	tests := []struct {
		name      string
		tok       *oauth2.Token
		wantName  string
		wantValue string
	}{
		{"empty type is Bearer", &oauth2.Token{AccessToken: "t"}, "Authorization", "Bearer t"},
		{"lower-case bearer is canonicalised", &oauth2.Token{AccessToken: "t", TokenType: "bearer"}, "Authorization", "Bearer t"},
		{"explicit Authorization header keeps the scheme", tokenplug.WithHeader(&oauth2.Token{AccessToken: "t", TokenType: "Bearer"}, "Authorization"), "Authorization", "Bearer t"},
		{"other header carries the raw value", tokenplug.WithHeader(&oauth2.Token{AccessToken: "k"}, "Ocp-Apim-Subscription-Key"), "Ocp-Apim-Subscription-Key", "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, v := tokenplug.RequestHeader(tt.tok)
			if n != tt.wantName || v != tt.wantValue {
				t.Fatalf("RequestHeader() = %q, %q; want %q, %q", n, v, tt.wantName, tt.wantValue)
			}
		})
	}
}

// Each With* keeps the other extra: a refresh hint must not move the token
// back to Authorization, where a raw subscription key would be sent as a
// bearer token.
func TestExtrasSurviveEachOther(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := tokenplug.WithRefreshAt(tokenplug.WithHeader(&oauth2.Token{AccessToken: "k"}, "X-Key"), at)
	if h := tokenplug.HeaderOf(tok); h != "X-Key" {
		t.Errorf("HeaderOf = %q after WithRefreshAt, want X-Key", h)
	}
	tok = tokenplug.WithHeader(tok, "Y-Key")
	if got := tokenplug.RefreshAtOf(tok); !got.Equal(at) {
		t.Errorf("RefreshAtOf = %v after WithHeader, want %v", got, at)
	}
	if n, v := tokenplug.RequestHeader(tok); n != "Y-Key" || v != "k" {
		t.Errorf("RequestHeader = %q, %q", n, v)
	}
}

// A settings update survives the other extras, and they survive it: the
// rotated refresh token must reach the host whatever else the provider sets.
func TestSettingsUpdateSurvivesOtherExtras(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	upd := map[string]string{"refresh_token": "rt-2"}
	tok := tokenplug.WithSettingsUpdate(&oauth2.Token{AccessToken: "k"}, upd)
	upd["refresh_token"] = "changed after the call"
	tok = tokenplug.WithHeader(tokenplug.WithRefreshAt(tok, at), "X-Key")
	if got := tokenplug.SettingsUpdateOf(tok)["refresh_token"]; got != "rt-2" {
		t.Errorf("SettingsUpdateOf after WithRefreshAt/WithHeader = %q, want rt-2", got)
	}
	tok = tokenplug.WithSettingsUpdate(tok, map[string]string{"refresh_token": "rt-3"})
	if h, r := tokenplug.HeaderOf(tok), tokenplug.RefreshAtOf(tok); h != "X-Key" || !r.Equal(at) {
		t.Errorf("after WithSettingsUpdate: header %q refresh_at %v", h, r)
	}
	if tokenplug.WithSettingsUpdate(tok, nil) != tok || tokenplug.SettingsUpdateOf(&oauth2.Token{}) != nil {
		t.Error("an empty update must change nothing, and a plain token carries none")
	}
}
