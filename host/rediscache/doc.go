// Package rediscache is a shared token cache on Redis: a second tier
// behind each host.Source's in-memory cache, so that the replicas of a
// service fetch one token from a vendor instead of one each, stay under the
// vendor's rate limits during a rolling restart, and start even while the
// vendor is down as long as a sibling holds a valid token.
//
//	c, err := rediscache.New(rediscache.Config{URL: "redis://cache:6379/0", EncryptionKey: key})
//	reg := host.NewRegistry(host.WithCache(c)) // reg.Close closes c
//
// # When Redis is consulted
//
// Never on the hot path: a Source hands out its cached token with an atomic
// load. Only when a Source has no fresh token (first use, refresh point
// reached, token invalidated after a 401) does it ask the cache:
//
//  1. GET the key. A value that decrypts, is before its refresh point and is
//     not the token just rejected is used as is: no upstream fetch.
//  2. Otherwise SET key:lease NX PX <fetch timeout>. The winner fetches
//     through the plugin, SETs the sealed token with PX = time to expiry,
//     then deletes its lease if still its own and PUBLISHes on key:ready
//     (one Lua script).
//  3. The others SUBSCRIBE to key:ready and read again on each
//     notification, or every second without one. A holder that died loses
//     its lease when it expires; the next reader takes it over. A process
//     refreshing a token it still holds waits the same way, so the fleet
//     does not fetch, fail or back off in a storm.
//  4. No process waits for ever: after the lease's remaining TTL (at most
//     30s) plus two seconds, or half of what remains of its own deadline
//     if that comes first, a waiter stops waiting, fetches for itself and
//     stores the token. A key:lease without expiry, which no cache writes,
//     is garbage: the next process to ask takes it over and logs it. A hung
//     holder or a tampered lease delays fetches; it does not fail them.
//
// The refresh point is the host's (80% of the lifetime, or the provider's
// hint), computed once by the process that fetched and stored with the
// token, so every replica renews at the same moment.
//
// # What is stored
//
// Keys are <key_prefix><plugin>/{<hex HMAC-SHA256 of the plugin name and
// its sorted settings>}, keyed with a key derived (HKDF) from
// encryption_key: different credentials give different keys, and keys
// reveal no setting. The braces are a Redis Cluster hash tag: a provider's
// value, lease and channel share one hash slot (the one script that names
// two keys is valid on Cluster), and providers spread over the slots.
// Values are the access token, its type, expiry, header and refresh point
// as JSON, sealed with AES-256-GCM (key also derived from encryption_key,
// random nonce, the Redis key as additional data). A value that does not
// decrypt is ignored and overwritten. Lease values are random and
// notifications carry nothing.
//
// # When Redis is down, slow or wiped
//
// Every Redis call is bounded by Config.Timeout (300ms). On a failure the
// cache fetches locally, logs once per outage (and once when Redis is back),
// and skips Redis for five seconds so a dead Redis does not cost a timeout
// per fetch. No token request fails because of Redis. A wiped Redis is a
// miss.
//
// # Topologies
//
// One server (Config.URL alone; user and password are an ACL user):
//
//	cache:
//	  redis:
//	    url: redis://tokenplug:${REDIS_PASSWORD}@cache.internal:6379/0
//	    encryption_key: ${TOKENPLUG_CACHE_KEY}
//
// Redis Cluster (Topology.Cluster): the URL's host and each addr= are seed
// nodes; the client learns the rest and follows MOVED redirects. Database
// 0 only.
//
//	cache:
//	  redis:
//	    cluster: true
//	    url: redis://tokenplug:${REDIS_PASSWORD}@node-1:6379?addr=node-2:6379&addr=node-3:6379
//	    encryption_key: ${TOKENPLUG_CACHE_KEY}
//
// Sentinel (Topology.MasterName): the URL's host and each addr= are
// sentinels, which name the current primary; the URL's user and password
// are still the data nodes' ACL user, the sentinels' own credentials are
// separate.
//
//	cache:
//	  redis:
//	    master_name: tokens
//	    url: redis://tokenplug:${REDIS_PASSWORD}@sentinel-1:26379/0?addr=sentinel-2:26379&addr=sentinel-3:26379
//	    sentinel_username: sentinel
//	    sentinel_password: ${SENTINEL_PASSWORD}
//	    encryption_key: ${TOKENPLUG_CACHE_KEY}
//
// TLS (rediss://, any topology), with a private CA and a client
// certificate for servers with tls-auth-clients yes:
//
//	cache:
//	  redis:
//	    url: rediss://tokenplug:${REDIS_PASSWORD}@cache.internal:6380/0
//	    ca_file: /etc/tokenplug/redis-ca.pem
//	    cert_file: /etc/tokenplug/redis-client.pem
//	    key_file: /etc/tokenplug/redis-client-key.pem
//	    encryption_key: ${TOKENPLUG_CACHE_KEY}
//
// Verification is always on (skip_verify is refused); at least TLS 1.2.
// Cluster nodes and the primaries Sentinel names are verified against the
// address dialled. With TLS, New checks the handshake in the background
// at once: a certificate that does not verify is logged at error level
// naming the field to fix (CAFile, CertFile or URL), and
// tokens are fetched locally meanwhile. Settings that contradict each
// other (cluster with master_name, ca_file without rediss://, addr=
// without a topology) are a *FieldError naming the field.
//
// # Failover
//
// When a primary dies, the calls to it fail within Config.Timeout and the
// processes fetch for themselves, as in any outage, until Sentinel or the
// cluster has promoted a replica; go-redis then finds the new primary (the
// Sentinel client asks the sentinels; the cluster client's slot map is
// reloaded before the first call after a pause, as go-redis alone would
// wait up to a minute) and sharing resumes, without a restart, at the
// first call after the five-second pause. A lease the dead primary had passed on to its
// replica, whose holder could not release it, is released by the holder
// as soon as Redis answers again, with the token it fetched (a background
// retry, four times a second, that ends with the lease's TTL); if the
// lease is no longer the holder's it is left alone. A lease whose holder
// died too expires, as in step 4 above.
package rediscache
