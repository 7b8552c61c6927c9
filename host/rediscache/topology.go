package rediscache

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Topology says how to reach Redis beyond Config.URL: Redis Cluster or
// Sentinel instead of one server, and the files that secure a rediss://
// connection. Its zero value is one server, as URL names it. The field
// docs name the YAML keys under cache.redis that set them.
//
// Cluster and Sentinel take the other servers from URL's addr= query
// parameters (as go-redis's ParseClusterURL and ParseFailoverURL read
// them); the user and password in URL are always the ACL user of the data
// nodes.
type Topology struct {
	// Cluster selects Redis Cluster (cluster: true). URL's host and every
	// addr= parameter are seed nodes; the client learns the others.
	Cluster bool
	// MasterName selects Sentinel (master_name): the name the sentinels
	// monitor. URL's host and every addr= parameter are sentinels.
	MasterName string
	// SentinelUsername and SentinelPassword authenticate to the sentinels
	// (sentinel_username, sentinel_password), if they require it.
	SentinelUsername string
	SentinelPassword string
	// CAFile is a PEM file of the CAs that sign the servers' certificates
	// (ca_file), for a private CA; default the system's roots. Needs a
	// rediss:// URL.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key
	// (cert_file, key_file), for servers that require one
	// (tls-auth-clients yes). Need a rediss:// URL.
	CertFile string
	KeyFile  string
}

// Field names of Config, as *FieldError reports them.
const (
	settingURL              = "URL"
	settingKeyPrefix        = "KeyPrefix"
	settingCluster          = "Cluster"
	settingMasterName       = "MasterName"
	settingSentinelUsername = "SentinelUsername"
	settingSentinelPassword = "SentinelPassword"
	settingCAFile           = "CAFile"
	settingCertFile         = "CertFile"
	settingKeyFile          = "KeyFile"
)

// connector is a checked topology, ready to open a client.
type connector struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
	tls      bool // rediss://: New checks the certificates at once
}

// newConnector checks cfg's URL, topology and TLS files. Its errors are
// *FieldError naming the setting; none holds a password.
func newConnector(cfg Config) (*connector, error) {
	if strings.ContainsAny(cfg.KeyPrefix, "{}") {
		return nil, &FieldError{Field: settingKeyPrefix, Err: errors.New("must not contain { or }: the cache puts a Redis Cluster hash tag after it")}
	}
	t := cfg.Topology
	u, err := checkURL(cfg.URL)
	if err != nil {
		return nil, &FieldError{Field: settingURL, Err: err}
	}
	if err := t.check(u); err != nil {
		return nil, err
	}
	cn := &connector{tls: u.Scheme == "rediss"}
	switch {
	case t.Cluster:
		cn.cluster, err = parseWith(u, redis.ParseClusterURL)
	case t.MasterName != "":
		cn.failover, err = parseWith(u, redis.ParseFailoverURL)
	default:
		cn.single, err = parseURL(cfg.URL)
	}
	if err != nil {
		return nil, &FieldError{Field: settingURL, Err: err}
	}
	if cn.failover != nil {
		f := cn.failover
		// ParseFailoverURL reads the user info as the sentinels'; here it is
		// the data nodes' ACL user, like in the other topologies.
		f.Username, f.Password = f.SentinelUsername, f.SentinelPassword
		f.SentinelUsername, f.SentinelPassword = t.SentinelUsername, t.SentinelPassword
		f.MasterName = t.MasterName
	}
	if err := cn.secure(t); err != nil {
		return nil, err
	}
	return cn, nil
}

// checkURL parses raw as a redis:// or rediss:// URL, without quoting it.
func checkURL(raw string) (*url.URL, error) {
	u, err := parseRedisURL(raw)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	if q.Has("skip_verify") {
		return nil, errors.New("skip_verify is not supported: the cache holds credentials; for a private CA set CAFile (ca_file)")
	}
	for _, p := range []string{"master_name", "username", "password", "sentinel_username", "sentinel_password"} {
		if q.Has(p) {
			return nil, fmt.Errorf("parameter %s: set it as its own Config field, or the ACL user and password in the URL's user info", p)
		}
	}
	return u, nil
}

// check validates the topology's settings against each other and u.
func (t Topology) check(u *url.URL) error {
	bad := func(setting, format string, args ...any) error {
		return &FieldError{Field: setting, Err: fmt.Errorf(format, args...)}
	}
	switch {
	case t.Cluster && t.MasterName != "":
		return bad(settingCluster, "set Cluster for Redis Cluster or MasterName for Sentinel, not both")
	case t.MasterName != strings.TrimSpace(t.MasterName):
		return bad(settingMasterName, "has leading or trailing spaces")
	case t.MasterName == "" && t.SentinelUsername != "":
		return bad(settingSentinelUsername, "only for Sentinel: set MasterName too")
	case t.MasterName == "" && t.SentinelPassword != "":
		return bad(settingSentinelPassword, "only for Sentinel: set MasterName too")
	case !t.Cluster && t.MasterName == "" && u.Query().Has("addr"):
		return bad(settingURL, "addr= names more servers: set Cluster for Redis Cluster, or MasterName for Sentinel")
	case t.Cluster && strings.Trim(u.Path, "/") != "" && strings.Trim(u.Path, "/") != "0":
		return bad(settingURL, "Redis Cluster has database 0 only: leave the path out")
	case u.Scheme != "rediss" && t.CAFile != "":
		return bad(settingCAFile, "needs a rediss:// url (TLS)")
	case u.Scheme != "rediss" && t.CertFile != "":
		return bad(settingCertFile, "needs a rediss:// url (TLS)")
	case u.Scheme != "rediss" && t.KeyFile != "":
		return bad(settingKeyFile, "needs a rediss:// url (TLS)")
	case t.CertFile != "" && t.KeyFile == "":
		return bad(settingKeyFile, "required with CertFile")
	case t.KeyFile != "" && t.CertFile == "":
		return bad(settingCertFile, "required with KeyFile")
	}
	return nil
}

// parseWith runs a go-redis URL parser, keeping u's password out of the
// error.
func parseWith[T any](u *url.URL, parse func(string) (T, error)) (T, error) {
	opt, err := parse(u.String())
	if err != nil {
		msg := err.Error()
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			msg = strings.ReplaceAll(msg, url.QueryEscape(pw), "xxxxx")
		}
		var zero T
		return zero, errors.New(msg)
	}
	return opt, nil
}

// client opens the go-redis client for the topology, every call bounded
// by timeout (see tune).
func (cn *connector) client(timeout time.Duration) redis.UniversalClient {
	switch {
	case cn.cluster != nil:
		o := cn.cluster
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
		o.ContextTimeoutEnabled = true
		o.MaxRetries, o.DialerRetries = -1, 1
		o.DisableIdentity = true
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
		return redis.NewClusterClient(o)
	case cn.failover != nil:
		o := cn.failover
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout = timeout, timeout, timeout
		o.ContextTimeoutEnabled = true
		o.MaxRetries, o.DialerRetries = -1, 1
		o.DisableIdentity = true
		return redis.NewFailoverClient(o)
	}
	tune(cn.single, timeout)
	return redis.NewClient(cn.single)
}

// parseRedisURL parses raw and checks that it is a redis:// or rediss://
// URL. Its errors never quote raw, which may hold a password.
func parseRedisURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("required (redis://host:port/db or rediss://...)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, fmt.Errorf("scheme %q: want redis:// or rediss://", u.Scheme)
	}
	return u, nil
}
