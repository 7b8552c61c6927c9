package oauth2

import (
	"errors"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/plugin"
	"github.com/tokenplug/tokenplug/plugin/plugintest"
)

func TestChallengesAreAnsweredWithinWhatTheSettingsAllow(t *testing.T) {
	const claims = `{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}`
	for _, tt := range []struct {
		name       string
		allowed    string
		c          plugin.Challenge
		wantScope  string
		wantClaims string
		refused    string // a word the error says; "" means answered
	}{
		{"a scope in challenge_scopes is added", "write admin", plugin.Challenge{Error: "insufficient_scope", Scope: "write"}, "read write", "", ""},
		{"a scope already held adds nothing", "", plugin.Challenge{Error: "insufficient_scope", Scope: "read"}, "read", "", ""},
		{"a scope outside challenge_scopes is refused, named", "write", plugin.Challenge{Error: "insufficient_scope", Scope: "write root"}, "", "", `"root"`},
		{"no challenge_scopes refuses every new scope", "", plugin.Challenge{Scope: "write"}, "", "", "challenge_scopes"},
		{"an Entra claims challenge is sent as claims", "", plugin.Challenge{Error: "insufficient_claims", Claims: claims}, "read", claims, ""},
		{"claims that are not a JSON object are refused", "", plugin.Challenge{Claims: `"x"`}, "", "", "JSON"},
		{"a step-up (RFC 9470) is refused", "write", plugin.Challenge{Error: "insufficient_user_authentication", ACRValues: "mfa"}, "", "", "step-up"},
		{"invalid_token alone gets a fresh token", "", plugin.Challenge{Error: "invalid_token"}, "read", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			ts := plugintest.MustConfigure(t, Provider{}, map[string]string{SettingTokenURL: srv.URL, SettingClientID: "c", SettingClientSecret: "s",
				SettingScope: "read", SettingChallengeScopes: tt.allowed}).(plugin.ChallengeTokenSource)
			_, err := ts.TokenForChallenge(t.Context(), tt.c)
			if tt.refused != "" {
				if !errors.Is(err, plugin.ErrPermanent) || !strings.Contains(err.Error(), tt.refused) {
					t.Errorf("err = %v, want permanent saying %s", err, tt.refused)
				}
				if len(srv.seen) != 0 {
					t.Errorf("a refused challenge cost %d requests", len(srv.seen))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := srv.last(t).form
			if got.Get("scope") != tt.wantScope || got.Get("claims") != tt.wantClaims {
				t.Errorf("scope %q claims %q, want %q %q", got.Get("scope"), got.Get("claims"), tt.wantScope, tt.wantClaims)
			}
			// The default token is as configured afterwards.
			if _, err := ts.Token(); err != nil || srv.last(t).form.Get("scope") != "read" || srv.last(t).form.Has("claims") {
				t.Errorf("default fetch after the challenge: %v, form %v", err, srv.last(t).form)
			}
		})
	}
}
