package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// execDir is a directory with a tokenplug.yaml whose provider k8s runs
// the built-in exec provider's helper.sh (which counts its runs in the
// file runs), and whose provider missing names a program that is not
// there.
func execDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	helper := filepath.Join(dir, "helper.sh")
	body := "#!/bin/sh\necho run >> runs\necho '{\"access_token\":\"tok-k8s-5e1f0c\",\"expires_in\":3600}'\n"
	if err := os.WriteFile(helper, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "tokenplug.yaml", `providers:
  k8s:
    plugin: exec
    hosts: [api.example.com]
    settings:
      command: ./helper.sh
  missing:
    plugin: exec
    hosts: [api.example.com]
    settings:
      command: ./no-such-helper --secret-looking-arg
`)
	return dir
}

// v1Schema is the ExecCredential of client.authentication.k8s.io/v1 as
// the Kubernetes API reference publishes it
// (kubernetes.io/docs/reference/config-api/client-authentication.v1/):
// each object's fields, their JSON types, and which are required.
var v1Schema = map[string]map[string]struct {
	typ      string
	required bool
}{
	"": {
		"apiVersion": {"string", true}, "kind": {"string", true},
		"spec": {"object", true}, "status": {"object", false},
	},
	"spec": {"cluster": {"object", false}, "interactive": {"boolean", true}},
	"status": {
		"expirationTimestamp": {"string", false}, "token": {"string", false},
		"clientCertificateData": {"string", false}, "clientKeyData": {"string", false},
	},
}

// checkSchema reports every field of obj (at path) that the schema does
// not have or types otherwise, and every required field missing.
func checkSchema(t *testing.T, path string, obj map[string]any) {
	t.Helper()
	fields := v1Schema[path]
	for k, v := range obj {
		f, ok := fields[k]
		if !ok {
			t.Errorf("%s.%s is not in the v1 schema", path, k)
			continue
		}
		if got := jsonType(v); got != f.typ {
			t.Errorf("%s.%s is a %s, want a %s", path, k, got, f.typ)
		}
		if m, ok := v.(map[string]any); ok {
			checkSchema(t, strings.TrimPrefix(path+"."+k, "."), m)
		}
	}
	for k, f := range fields {
		if _, ok := obj[k]; f.required && !ok {
			t.Errorf("required %s.%s is missing", path, k)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	}
	return "other"
}

func TestTokenFormatExecCredentialFollowsTheV1Schema(t *testing.T) {
	dir := execDir(t)
	before := time.Now().Truncate(time.Second)
	r := tp(t, dir, nil, "token", "k8s", "--format", "exec-credential")
	if r.code != 0 {
		t.Fatalf("status %d: %s", r.code, r.stderr)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &obj); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	checkSchema(t, "", obj)
	status, _ := obj["status"].(map[string]any)
	if obj["apiVersion"] != "client.authentication.k8s.io/v1" || obj["kind"] != "ExecCredential" || status["token"] != "tok-k8s-5e1f0c" {
		t.Errorf("apiVersion %v kind %v token %v", obj["apiVersion"], obj["kind"], status["token"])
	}
	ts, _ := status["expirationTimestamp"].(string)
	exp, err := time.Parse(time.RFC3339, ts)
	if err != nil || !strings.HasSuffix(ts, "Z") || exp.Before(before.Add(time.Hour)) || exp.After(time.Now().Add(time.Hour)) {
		t.Errorf("expirationTimestamp %q (%v): want RFC 3339 in UTC, an hour from the fetch", ts, err)
	}
}

func TestTokenFormatExecCredentialAnswersInTheVersionKubectlAsksFor(t *testing.T) {
	dir := execDir(t)
	for info, want := range map[string]string{
		`{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}`: "client.authentication.k8s.io/v1beta1",
		`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":true}}`:       "client.authentication.k8s.io/v1",
	} {
		r := tp(t, dir, []string{"KUBERNETES_EXEC_INFO=" + info}, "token", "k8s", "--format", "exec-credential")
		var out execCredential
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 0 || out.APIVersion != want {
			t.Errorf("KUBERNETES_EXEC_INFO %s: status %d apiVersion %q (%v), want %s; stderr %s", info, r.code, out.APIVersion, err, want, r.stderr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "runs")); strings.Count(string(b), "run") != 1 {
		t.Errorf("the helper ran %d times for two calls, want once (the token cache)", strings.Count(string(b), "run"))
	}
	for info, says := range map[string]string{
		`{"apiVersion":"client.authentication.k8s.io/v1alpha1"}`: `asks for apiVersion "client.authentication.k8s.io/v1alpha1"`,
		`not json`: "KUBERNETES_EXEC_INFO is not JSON",
		// A hostile kubeconfig's terminal escapes reach no terminal.
		`{"apiVersion":"\u001b]0;owned\u0007\u001b[2Jv9"}`: `asks for apiVersion "]0;owned[2Jv9"`,
	} {
		tp(t, dir, []string{"KUBERNETES_EXEC_INFO=" + info}, "token", "k8s", "--format", "exec-credential").wantError(t, 2, says)
	}
}

func TestTokenFormatTakesTheOldFlagsAsAliases(t *testing.T) {
	dir := execDir(t)
	for _, args := range [][]string{{"--format", "raw"}, {"--raw"}, {"--raw", "--format", "raw"}} {
		if r := tp(t, dir, nil, append([]string{"token", "k8s"}, args...)...); r.stdout != "tok-k8s-5e1f0c\n" {
			t.Errorf("%q printed %q (%s)", args, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"--format", "header"}, {"--header"}} {
		if r := tp(t, dir, nil, append([]string{"token", "k8s"}, args...)...); r.stdout != "Authorization: Bearer tok-k8s-5e1f0c\n" {
			t.Errorf("%q printed %q (%s)", args, r.stdout, r.stderr)
		}
	}
	if r := tp(t, dir, nil, "token", "k8s", "--format", "json"); !strings.Contains(r.stdout, `"access_token": "tok-k8s-5e1f0c"`) {
		t.Errorf("--format json printed %q", r.stdout)
	}
	for args, says := range map[string][]string{
		"--raw --format header":             {"--raw and --format header exclude each other"},
		"--raw --header":                    {"--header and --raw exclude each other"},
		"--format yaml":                     {`--format "yaml": want json, raw, header or exec-credential`},
		"--decode --format exec-credential": {"--decode goes with --format json only"},
	} {
		tp(t, dir, nil, append([]string{"token", "k8s"}, strings.Fields(args)...)...).wantError(t, 2, says...)
	}
}

func TestTokenOfAnExecProviderWithAMissingProgramExits2NamingIt(t *testing.T) {
	r := tp(t, execDir(t), nil, "token", "missing")
	r.wantError(t, 2, "command", "no-such-helper")
	if strings.Contains(r.stderr, "secret-looking-arg") {
		t.Errorf("stderr %q quotes the command's arguments", r.stderr)
	}
}
