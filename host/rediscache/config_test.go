package rediscache_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenplug/tokenplug/host/internal/redistest"
	"github.com/tokenplug/tokenplug/host/rediscache"
)

// validKey is a well-formed EncryptionKey, for tests of the other settings.
var validKey = base64.StdEncoding.EncodeToString(make([]byte, 32))

func TestNewNamesTheBadSettingWithoutEchoingIt(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("s3cr3t-but-too-short"))
	tests := []struct {
		name      string
		cfg       rediscache.Config
		want      string
		forbidden string
	}{
		{"no url", rediscache.Config{EncryptionKey: validKey}, "URL: required", ""},
		{"wrong scheme", rediscache.Config{URL: "http://h:1", EncryptionKey: validKey}, "URL: scheme", ""},
		{"unparsable url keeps the password out", rediscache.Config{URL: "redis://u:hunter2@h:bad/0", EncryptionKey: validKey}, "URL: not a URL", "hunter2"},
		{"bad db keeps the password out", rediscache.Config{URL: "redis://u:hunter2@h:1/x", EncryptionKey: validKey}, "URL: ", "hunter2"},
		{"no key", rediscache.Config{URL: "redis://h:1"}, "EncryptionKey: required", ""},
		{"key not base64", rediscache.Config{URL: "redis://h:1", EncryptionKey: "not*base64*hunter2"}, "EncryptionKey: not base64", "hunter2"},
		{"key too short", rediscache.Config{URL: "redis://h:1", EncryptionKey: short}, "EncryptionKey: decodes to 20 bytes, want 32", short},
		{"key prefix with braces", rediscache.Config{URL: "redis://h:1", EncryptionKey: validKey, KeyPrefix: "app{1}/"}, "KeyPrefix: must not contain { or }", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkRejected(t, tt.cfg, tt.want, tt.forbidden) })
	}
}

// TestAKeyPastedIntoAFileFieldIsNotQuoted: a PEM or a token given where a
// file's path belongs (ca_file: ${CA} with the certificate's text, or
// key_file: ${KEY} with the key) is named by its field, never quoted.
func TestAKeyPastedIntoAFileFieldIsNotQuoted(t *testing.T) {
	const body = "MIIEowIBAAKCAQEAqK5y8PQUb4m6X6VTXRbjUO4vOaUN3025hUVvzI7wIf9dn6yr"
	pemText := "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----\n"
	token := "dG9rLTVmMWQwYzc3ZTJhOTRiM2Q5YjhmMjdjMWE2ZTBkNGJi"
	type topo = rediscache.Topology
	for _, tt := range []struct {
		name, want, forbidden string
		topo                  topo
	}{
		{"a PEM as the ca file", "CAFile: ", body, topo{CAFile: pemText}},
		{"a token as the ca file", "CAFile: ", token, topo{CAFile: token}},
		{"a PEM as the key file", "CertFile: ", body, topo{CertFile: "/nonexistent/c.pem", KeyFile: pemText}},
		{"a PEM as the cert file", "CertFile: ", body, topo{CertFile: pemText, KeyFile: "/nonexistent/k.pem"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkRejected(t, rediscache.Config{URL: "rediss://h:1", EncryptionKey: validKey, Topology: tt.topo}, tt.want, tt.forbidden)
		})
	}
}

// checkRejected fails the test unless New and Validate both reject cfg
// with the same *FieldError, whose message starts with the package name,
// contains want (which starts with the field's name) and not forbidden.
func checkRejected(t *testing.T, cfg rediscache.Config, want, forbidden string) {
	t.Helper()
	c, err := rediscache.New(cfg)
	if err == nil {
		c.Close()
		t.Fatal("New accepted a bad config")
	}
	if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "tokenplug/rediscache: ") {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
	var fe *rediscache.FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(want, fe.Field+": ") {
		t.Errorf("err = %#v, want a *FieldError for %q", err, want)
	}
	if verr := cfg.Validate(); verr == nil || verr.Error() != err.Error() {
		t.Errorf("Validate = %v, want New's error %v", verr, err)
	}
	if forbidden != "" && strings.Contains(err.Error(), forbidden) {
		t.Errorf("err = %q echoes the secret", err)
	}
}

func TestBadTopologyNamesTheSettingWithoutEchoingSecrets(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hunter2 is no certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := redistest.NewCA(t, "test")
	type topo = rediscache.Topology
	tests := []struct {
		name string
		url  string
		topo topo
		want string
	}{
		{"cluster and sentinel", "redis://h:1", topo{Cluster: true, MasterName: "m"}, "Cluster: set Cluster for Redis Cluster or MasterName for Sentinel, not both"},
		{"sentinel password without sentinel", "redis://h:1", topo{SentinelPassword: "hunter2"}, "SentinelPassword: only for Sentinel"},
		{"sentinel user without sentinel", "redis://h:1", topo{SentinelUsername: "u"}, "SentinelUsername: only for Sentinel"},
		{"several servers without a topology", "redis://:hunter2@h:1?addr=h:2", topo{}, "URL: addr= names more servers: set Cluster for Redis Cluster"},
		{"cluster database", "redis://h:1/3?addr=h:2", topo{Cluster: true}, "URL: Redis Cluster has database 0 only"},
		{"cluster bad addr keeps the password out", "redis://u:hunter2@h:1?addr=nohostport", topo{Cluster: true}, "URL: redis: unable to parse addr param"},
		{"sentinel bad addr keeps the password out", "redis://u:hunter2@h:1?addr=nohostport", topo{MasterName: "m"}, "URL: redis: unable to parse addr param"},
		{"master name with spaces", "redis://h:1", topo{MasterName: " m"}, "MasterName: has leading or trailing spaces"},
		{"skip_verify", "rediss://u:hunter2@h:1?skip_verify=true", topo{}, "URL: skip_verify is not supported"},
		{"password parameter", "redis://h:1?addr=h:2&password=hunter2", topo{MasterName: "m"}, "URL: parameter password"},
		{"master_name parameter", "redis://h:1?master_name=m", topo{MasterName: "m"}, "URL: parameter master_name"},
		{"ca file without TLS", "redis://h:1", topo{CAFile: ca.File}, "CAFile: needs a rediss:// url"},
		{"cert file without TLS", "redis://h:1", topo{CertFile: "c", KeyFile: "k"}, "CertFile: needs a rediss:// url"},
		{"cert without key", "rediss://h:1", topo{CertFile: "c"}, "KeyFile: required with CertFile"},
		{"key without cert", "rediss://h:1", topo{KeyFile: "k"}, "CertFile: required with KeyFile"},
		{"missing ca file", "rediss://h:1", topo{CAFile: filepath.Join(dir, "none.pem")}, "CAFile: " + filepath.Join(dir, "none.pem") + ": no such file"},
		{"ca file not PEM", "rediss://h:1", topo{CAFile: notPEM}, "CAFile: no PEM certificate in"},
		{"bad client certificate", "rediss://h:1", topo{CertFile: notPEM, KeyFile: notPEM}, "CertFile: with KeyFile: tls: failed to find any PEM data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRejected(t, rediscache.Config{URL: tt.url, EncryptionKey: validKey, Topology: tt.topo}, tt.want, "hunter2")
		})
	}
}

func TestEveryURLFormAndTopologyIsAccepted(t *testing.T) {
	rawURLKey := base64.RawURLEncoding.EncodeToString(make([]byte, 32)) // accepted too
	ca := redistest.NewCA(t, "test")
	cert, certKey := ca.Issue(t, "client")
	for _, cfg := range []rediscache.Config{
		{URL: "redis://127.0.0.1:6379/0", EncryptionKey: rawURLKey},
		{URL: "rediss://user:pw@cache.internal:6380/2", EncryptionKey: rawURLKey},
		{URL: "redis://:pw@localhost", EncryptionKey: rawURLKey},
		{URL: "rediss://app:pw@cache.internal:6380/0", Topology: rediscache.Topology{CAFile: ca.File, CertFile: cert, KeyFile: certKey}},
		{URL: "redis://app:pw@node-1:6379?addr=node-2:6379&addr=node-3:6379", Topology: rediscache.Topology{Cluster: true}},
		{URL: "rediss://app:pw@node-1:6379", Topology: rediscache.Topology{Cluster: true, CAFile: ca.File}},
		{URL: "redis://app:pw@sentinel-1:26379/2?addr=sentinel-2:26379", Topology: rediscache.Topology{MasterName: "tokens", SentinelUsername: "s", SentinelPassword: "spw"}},
	} {
		if cfg.EncryptionKey == "" {
			cfg.EncryptionKey = validKey
		}
		c, err := rediscache.New(cfg)
		if err != nil {
			t.Errorf("New(%s) = %v", cfg.URL, err)
			continue
		}
		if k := c.Key("iam", nil); !hashTagged.MatchString(k) {
			t.Errorf("Key = %q, want tokenplug/iam/{<hex>}", k)
		}
		c.Close()
	}
}

var hashTagged = regexp.MustCompile(`^tokenplug/iam/\{[0-9a-f]{64}\}$`)
