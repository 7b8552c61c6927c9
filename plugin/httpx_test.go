package plugin

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfterSurvivesTheWireEvenWithAnInvalidUTF8Body(t *testing.T) {
	resp := &http.Response{StatusCode: 429, Status: "429 Too Many Requests", Header: http.Header{"Retry-After": {"5"}}}
	err := CheckStatus(resp, []byte("bad \xff\xfe body"))
	back := fromStatus(toStatus(err))
	if !errors.Is(back, ErrRateLimited) || RetryAfterOf(back) != 5*time.Second {
		t.Fatalf("after the gRPC hop: %v (retry-after %v), want rate limited with 5s", back, RetryAfterOf(back))
	}
}
