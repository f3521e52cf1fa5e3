package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A minimal JWT-like signed token: base64url(header) "." base64url(claims)
// "." base64url(HMAC-SHA256(key, header "." claims)). Anyone can read it;
// only a holder of the key can make one that verifies. The server needs no
// lookup to check it, which is its whole point — and its weakness: a token
// stays valid until it expires, unless every server also checks a deny list.

// tokenHeader names the signing algorithm. The verifier must not let the
// token choose: accepting "none" (no signature at all) or an algorithm other
// than the one the server uses are classic JWT vulnerabilities.
type tokenHeader struct {
	Alg string `json:"alg"`
}

// tokenClaims say who the token is for, until when, and its own ID (for the
// deny list).
type tokenClaims struct {
	Sub string `json:"sub"`
	Exp int64  `json:"exp"` // seconds since 1970, as JWT's exp
	JTI string `json:"jti"`
}

const tokenAlg = "HS256"

// Why a token was refused.
var (
	errMalformed = errors.New("malformed token")
	errAlgorithm = errors.New("unexpected algorithm")
	errSignature = errors.New("bad signature")
	errExpired   = errors.New("expired")
)

var b64 = base64.RawURLEncoding

// signToken makes a token with header h and claims c, signed with key.
// (It signs whatever h says; only the verifier is strict. Tests and the
// attacker in the auth scenario use it to forge tokens.)
func signToken(key []byte, h tokenHeader, c tokenClaims) string {
	hj, _ := json.Marshal(h) // plain structs: cannot fail
	cj, _ := json.Marshal(c)
	signed := b64.EncodeToString(hj) + "." + b64.EncodeToString(cj)
	if h.Alg == "none" {
		return signed + "."
	}
	return signed + "." + b64.EncodeToString(mac(key, signed))
}

func mac(key []byte, signed string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// verifyToken checks a token at time now: HS256 and nothing else, a
// signature made with key, and an expiry still ahead. The checks run in
// that order, so the claims of a token are never read unless it is
// authentic.
func verifyToken(key []byte, token string, now time.Time) (tokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return tokenClaims{}, fmt.Errorf("%w: %d parts", errMalformed, len(parts))
	}
	var h tokenHeader
	if err := decodePart(parts[0], &h); err != nil {
		return tokenClaims{}, err
	}
	if h.Alg != tokenAlg {
		return tokenClaims{}, fmt.Errorf("%w %q", errAlgorithm, h.Alg)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac(key, parts[0]+"."+parts[1])) {
		return tokenClaims{}, errSignature
	}
	var c tokenClaims
	if err := decodePart(parts[1], &c); err != nil {
		return tokenClaims{}, err
	}
	if !now.Before(time.Unix(c.Exp, 0)) {
		return c, fmt.Errorf("%w at %s", errExpired, time.Unix(c.Exp, 0).UTC().Format("15:04:05"))
	}
	return c, nil
}

func decodePart(s string, v any) error {
	raw, err := b64.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: %v", errMalformed, err)
	}
	return nil
}
