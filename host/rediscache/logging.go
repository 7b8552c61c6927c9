package rediscache

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// go-redis has one logger for the whole process (redis.SetLogger), which
// writes its dial errors and pool warnings straight to stderr. New routes
// it to the Logger of the most recently created Cache instead, so those
// lines reach the application's log/slog handler like the cache's own. An
// application that calls redis.SetLogger after New keeps its own logger.
var (
	redisLogOnce sync.Once
	redisLog     atomic.Pointer[slog.Logger]
)

// routeRedisLog points go-redis's process-wide logger at l.
func routeRedisLog(l *slog.Logger) {
	redisLog.Store(l)
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{}) })
}

// redisLogger forwards go-redis's Printf lines to slog at warn level: go-redis
// logs only what went wrong (a failed dial, a node marked failed).
type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l := redisLog.Load()
	if l == nil {
		return
	}
	msg := strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: ")
	l.WarnContext(ctx, "tokenplug/rediscache: go-redis: "+msg)
}
