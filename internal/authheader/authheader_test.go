package authheader_test

import (
	"testing"

	"golang.org/x/oauth2"

	"github.com/tokenplug/tokenplug/internal/authheader"
	"github.com/tokenplug/tokenplug/plugin"
)

func TestForPicksHeaderAndValue(t *testing.T) {
	tests := []struct {
		name      string
		tok       *oauth2.Token
		wantName  string
		wantValue string
	}{
		{"empty type is Bearer", &oauth2.Token{AccessToken: "t"}, "Authorization", "Bearer t"},
		{"lower-case bearer is canonicalised", &oauth2.Token{AccessToken: "t", TokenType: "bearer"}, "Authorization", "Bearer t"},
		{"explicit Authorization header keeps the scheme", plugin.WithHeader(&oauth2.Token{AccessToken: "t", TokenType: "Bearer"}, "Authorization"), "Authorization", "Bearer t"},
		{"other header carries the raw value", plugin.WithHeader(&oauth2.Token{AccessToken: "k"}, "Ocp-Apim-Subscription-Key"), "Ocp-Apim-Subscription-Key", "k"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, v := authheader.For(tt.tok)
			if n != tt.wantName || v != tt.wantValue {
				t.Fatalf("For() = %q, %q; want %q, %q", n, v, tt.wantName, tt.wantValue)
			}
		})
	}
}

func TestExtraMatchesPluginContract(t *testing.T) {
	if authheader.Extra != plugin.ExtraHeader {
		t.Fatalf("authheader.Extra = %q, plugin.ExtraHeader = %q", authheader.Extra, plugin.ExtraHeader)
	}
}
