package web

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenVerification(t *testing.T) {
	key := []byte("server secret")
	now := time.Unix(1000, 0)
	good := tokenClaims{Sub: "alice", Exp: 1010, JTI: "t1"}
	valid := signToken(key, tokenHeader{Alg: "HS256"}, good)
	parts := strings.Split(valid, ".")
	evil := signToken(key, tokenHeader{Alg: "HS256"}, tokenClaims{Sub: "mallory", Exp: 1010})
	evilParts := strings.Split(evil, ".")
	tests := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"valid", valid, now, nil},
		{"alg none", signToken(key, tokenHeader{Alg: "none"}, good), now, errAlgorithm},
		{"alg HS512", signToken(key, tokenHeader{Alg: "HS512"}, good), now, errAlgorithm},
		{"another key", signToken([]byte("guess"), tokenHeader{Alg: "HS256"}, good), now, errSignature},
		{"claims swapped", parts[0] + "." + evilParts[1] + "." + parts[2], now, errSignature},
		{"expired", valid, time.Unix(1010, 0), errExpired},
		{"two parts", parts[0] + "." + parts[1], now, errMalformed},
		{"not base64", "!!." + parts[1] + "." + parts[2], now, errMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := verifyToken(key, tt.token, tt.at)
			if tt.want == nil {
				require.NoError(t, err)
				assert.Equal(t, good, c)
				return
			}
			assert.ErrorIs(t, err, tt.want)
		})
	}
	assert.Equal(t, valid, signToken(key, tokenHeader{Alg: "HS256"}, good), "HMAC signing is deterministic")
}
