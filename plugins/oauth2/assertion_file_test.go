//go:build unix

package oauth2

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A token file holds one token (RFC 7523 §2.2: a compact JWT); a file
// swapped for a PEM key, or for anything with more than one word in it,
// is never sent to the token endpoint, and a FIFO in its place does not
// hang the fetch.
func TestATokenFileThatHoldsMoreThanATokenIsNotSent(t *testing.T) {
	dir := t.TempDir()
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
	for name, content := range map[string]string{"pem": pem, "two words": "eyJa.eyJb.c d"} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readTokenFile(p)
		if err == nil || got != "" || strings.Contains(err.Error(), "MIIE") {
			t.Errorf("%s: readTokenFile = %q, %v; want an error that quotes nothing", name, got, err)
		}
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if _, err := readTokenFile(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("readTokenFile(FIFO) = %v, want not a regular file", err)
	}
	ok := filepath.Join(dir, "jwt")
	if err := os.WriteFile(ok, []byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := readTokenFile(ok); err != nil || got != "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig" {
		t.Errorf("readTokenFile(a JWT) = %q, %v", got, err)
	}
}
