package main

import (
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/emulator"
)

// The built-in oauth2 provider through the CLI, against the OAuth2
// emulator found by issuer discovery: a token the emulator verifies; a
// wrong secret is exit 1 naming invalid_client and quoting no secret.
func TestTheBuiltinOAuth2ProviderGetsATokenFromAStandardServer(t *testing.T) {
	idp := emulator.StartOAuth2()
	defer idp.Close()
	const secret = "cli:secret+/%&=value"
	if err := idp.AddClient(emulator.OAuth2Client{ID: "cli-app", Secret: secret}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "tokenplug.yaml", `providers:
  idp:
    plugin: oauth2
    hosts: ["127.0.0.1"]
    settings:
      issuer: `+idp.Issuer+`
      client_id: cli-app
      client_secret: ${IDP_SECRET}
`)
	r := tp(t, dir, []string{"IDP_SECRET=" + secret}, "token", "idp", "--raw", "--no-cache")
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.stderr)
	}
	if err := idp.Verify(strings.TrimSpace(r.stdout)); err != nil {
		t.Errorf("the emulator does not accept the token: %v", err)
	}
	bad := tp(t, dir, []string{"IDP_SECRET=wrong-secret-value"}, "token", "idp", "--raw", "--no-cache")
	bad.wantError(t, 1, "invalid_client")
	if strings.Contains(bad.stderr, "wrong-secret-value") || strings.Contains(bad.stderr, secret) {
		t.Errorf("stderr quotes a secret: %s", bad.stderr)
	}
	p := tp(t, dir, nil, "plugins")
	if !strings.Contains(p.stdout, "oauth2") || !strings.Contains(p.stdout, "challenge_scopes") {
		t.Errorf("plugins does not list oauth2 and its settings:\n%s", p.stdout)
	}
}
