package host

import "os"

// DefaultEnv is the environment a plugin inherits from the host: what a
// program needs to make TLS connections through a proxy, and nothing else.
// Secrets go to plugins through Configure, never the environment; add more
// names with WithEnv.
var DefaultEnv = []string{
	"PATH", "HOME", "TMPDIR", "TZ", "LANG",
	"SSL_CERT_FILE", "SSL_CERT_DIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"TOKENPLUG_LOG_LEVEL",
}

// cleanEnv returns KEY=value for each allowed variable that is set.
func cleanEnv(allowed []string) []string {
	env := []string{}
	for _, k := range allowed {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// WithPluginEnv sets variables, each "NAME=value", in every plugin's
// environment, over those DefaultEnv and WithEnv let through: a proxy for
// plugins alone, say. The conformance kit uses it to send a plugin's
// requests that leave loopback to a proxy that refuses them. Never set a
// secret: secrets go to plugins through Configure.
func WithPluginEnv(kv ...string) Option {
	return func(o *options) { o.envValues = append(o.envValues, kv...) }
}
