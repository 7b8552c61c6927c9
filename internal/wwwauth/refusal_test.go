package wwwauth

import "testing"

// RFC 6750 §3.1: a 401 asks for another token with any answerable
// challenge; a 403 only with insufficient_scope.
func TestRefusalAsksForAnotherTokenOnlyWhereRFC6750Does(t *testing.T) {
	tests := []struct {
		name      string
		header    string
		forbidden bool
		want      bool
	}{
		{"401 insufficient_scope", `Bearer error="insufficient_scope", scope="b"`, false, true},
		{"403 insufficient_scope", `Bearer error="insufficient_scope", scope="b"`, true, true},
		{"401 claims", `Bearer error="insufficient_claims", claims="e30"`, false, true},
		{"403 claims", `Bearer error="insufficient_claims", claims="e30"`, true, false},
		{"401 invalid_token", `Bearer error="invalid_token"`, false, false},
		{"401 no Bearer challenge", `Basic realm="x"`, false, false},
	}
	for _, tt := range tests {
		if _, got := Refusal([]string{tt.header}, tt.forbidden); got != tt.want {
			t.Errorf("%s: Refusal = %v, want %v", tt.name, got, tt.want)
		}
	}
}
