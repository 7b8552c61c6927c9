package plugin

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestCheckStatusHidesAnEchoedBasicHeader(t *testing.T) {
	const id, secret = "my-client", "client-secret-value-42"
	basic := base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
	body := `{"error":"invalid_client","echo":{"Authorization":"Basic ` + basic + `"}}`
	resp := &http.Response{StatusCode: 401, Status: "401 Unauthorized", Header: http.Header{}}
	msg := CheckStatus(resp, []byte(body), secret).Error()
	raw := base64.RawStdEncoding.EncodeToString([]byte(id + ":" + secret))
	if strings.Contains(msg, raw[len(raw)-16:]) || !strings.Contains(msg, "[REDACTED]") {
		t.Fatalf("error shows the Basic pair: %s", msg)
	}
}
