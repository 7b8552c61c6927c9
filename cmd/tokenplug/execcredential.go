package main

import (
	"encoding/json"
	"os"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// The Kubernetes client authentication API versions tokenplug answers in
// (kubernetes.io/docs/reference/config-api/client-authentication.v1/).
const (
	execCredentialV1      = "client.authentication.k8s.io/v1"
	execCredentialV1beta1 = "client.authentication.k8s.io/v1beta1"
)

// execCredential is a Kubernetes ExecCredential as a credential plugin
// prints it: client-go puts status.token in "Authorization: Bearer" and
// runs the plugin again after status.expirationTimestamp.
type execCredential struct {
	APIVersion string               `json:"apiVersion"`
	Kind       string               `json:"kind"`
	Spec       execCredentialSpec   `json:"spec"`
	Status     execCredentialStatus `json:"status"`
}

// execCredentialSpec is what the transport told the plugin; tokenplug
// echoes interactive, which it never uses: it does not prompt.
type execCredentialSpec struct {
	Interactive bool `json:"interactive"`
}

type execCredentialStatus struct {
	ExpirationTimestamp string `json:"expirationTimestamp,omitempty"` // RFC 3339; absent: the token does not expire
	Token               string `json:"token"`
}

// execInfoVersion returns the apiVersion client-go asks for in
// KUBERNETES_EXEC_INFO (set when it runs a credential plugin), or v1 when
// it is not set. An unknown version or unreadable JSON is a usage error.
func execInfoVersion() (string, bool, error) {
	info, ok := os.LookupEnv("KUBERNETES_EXEC_INFO")
	if !ok || strings.TrimSpace(info) == "" {
		return execCredentialV1, false, nil
	}
	var in struct {
		APIVersion string `json:"apiVersion"`
		Spec       struct {
			Interactive bool `json:"interactive"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(info), &in); err != nil {
		return "", false, usageErrorf("token: KUBERNETES_EXEC_INFO is not JSON")
	}
	switch in.APIVersion {
	case execCredentialV1, execCredentialV1beta1:
		return in.APIVersion, in.Spec.Interactive, nil
	case "":
		return execCredentialV1, in.Spec.Interactive, nil
	}
	return "", false, usageErrorf("token: KUBERNETES_EXEC_INFO asks for apiVersion %q; tokenplug answers in %s and %s",
		oneLineASCII(in.APIVersion), execCredentialV1, execCredentialV1beta1)
}

// printExecCredential prints tok as an ExecCredential of apiVersion. Only
// a Bearer token in the Authorization header can go there: client-go
// sends status.token as "Authorization: Bearer <token>" and nothing else.
func printExecCredential(c *cli, name string, tok *oauth2.Token, header, apiVersion string, interactive bool) error {
	if header != "Authorization" || !strings.EqualFold(tok.Type(), "Bearer") {
		return usageErrorf("token: provider %q sends %s tokens in %s; an ExecCredential carries only Bearer tokens for Authorization", name, tok.Type(), header)
	}
	out := execCredential{APIVersion: apiVersion, Kind: "ExecCredential", Spec: execCredentialSpec{Interactive: interactive},
		Status: execCredentialStatus{Token: tok.AccessToken}}
	if !tok.Expiry.IsZero() {
		out.Status.ExpirationTimestamp = tok.Expiry.UTC().Truncate(time.Second).Format(time.RFC3339)
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// oneLineASCII keeps the printable ASCII of s, at most 64 bytes, for
// quoting a value that came from the environment.
func oneLineASCII(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return s
}
