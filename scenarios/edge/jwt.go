package edge

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
)

// A JSON Web Token (RFC 7519) in its compact form:
// base64url(header) "." base64url(claims) "." base64url(signature).
// The header names the algorithm; that a verifier reads it at all is the
// root of the algorithm-confusion attack.

// JWTHeader is a token's header.
type JWTHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
}

// JWTClaims are what a token says: its subject, its role, its expiry (in
// milliseconds since the epoch, to fit the simulator's short runs) and its
// ID, which a deny list names.
type JWTClaims struct {
	Sub  string `json:"sub"`
	Role string `json:"role"`
	Exp  int64  `json:"exp_ms"`
	JTI  string `json:"jti"`
}

var b64 = base64.RawURLEncoding

// Why a token was refused.
var (
	ErrMalformed = errors.New("malformed token")
	ErrAlgorithm = errors.New("algorithm not allowed")
	ErrSignature = errors.New("bad signature")
	ErrExpired   = errors.New("expired")
	ErrRevoked   = errors.New("revoked")
)

func signingInput(h JWTHeader, c JWTClaims) string {
	hj, _ := json.Marshal(h) // plain structs: cannot fail
	cj, _ := json.Marshal(c)
	return b64.EncodeToString(hj) + "." + b64.EncodeToString(cj)
}

// SignRS256 makes an RS256 token: RSASSA-PKCS1-v1_5 with SHA-256, which is
// deterministic (no randomness in the signature).
func SignRS256(key *rsa.PrivateKey, c JWTClaims) string {
	in := signingInput(JWTHeader{Alg: "RS256", Typ: "JWT"}, c)
	h := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	if err != nil {
		panic(fmt.Sprintf("jwt: signing with a valid key failed: %v", err)) // broken invariant
	}
	return in + "." + b64.EncodeToString(sig)
}

// SignHS256 makes an HS256 token: HMAC-SHA256 with secret. The attacker
// uses it with the issuer's *public* key as the secret.
func SignHS256(secret []byte, c JWTClaims) string {
	in := signingInput(JWTHeader{Alg: "HS256", Typ: "JWT"}, c)
	return in + "." + b64.EncodeToString(hmacSHA256(secret, in))
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Verifier checks tokens against the issuer's public key.
type Verifier struct {
	// Key is the issuer's public key; KeyPEM the same key as a library
	// stores it, PEM text.
	Key    *rsa.PublicKey
	KeyPEM string
	// TrustHeader makes the verifier pick the algorithm the token's header
	// names, with "the key" it has: RS256 checks the RSA signature, HS256
	// an HMAC keyed with KeyPEM. This is the vulnerable library default of
	// CVE-2015-9235 and its relatives. Unset, only RS256 is accepted
	// (pinned).
	TrustHeader bool
}

// Verify checks a token at time nowMS: algorithm, signature, expiry, in
// that order; the claims are not trusted before the signature is.
func (v Verifier) Verify(token string, nowMS int64) (JWTClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return JWTClaims{}, fmt.Errorf("%w: %d parts", ErrMalformed, len(parts))
	}
	var h JWTHeader
	if err := decodeJSON(parts[0], &h); err != nil {
		return JWTClaims{}, err
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return JWTClaims{}, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	in := parts[0] + "." + parts[1]
	switch {
	case h.Alg == "RS256":
		d := sha256.Sum256([]byte(in))
		if rsa.VerifyPKCS1v15(v.Key, crypto.SHA256, d[:], sig) != nil {
			return JWTClaims{}, ErrSignature
		}
	case h.Alg == "HS256" && v.TrustHeader:
		if !hmac.Equal(sig, hmacSHA256([]byte(v.KeyPEM), in)) {
			return JWTClaims{}, ErrSignature
		}
	default:
		return JWTClaims{}, fmt.Errorf("%w: %q", ErrAlgorithm, h.Alg)
	}
	var c JWTClaims
	if err := decodeJSON(parts[1], &c); err != nil {
		return JWTClaims{}, err
	}
	if nowMS >= c.Exp {
		return c, ErrExpired
	}
	return c, nil
}

func decodeJSON(part string, v any) error {
	b, err := b64.DecodeString(part)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// SeedRSAKey derives an RSA key from seed, deterministically: primes found
// by searching upward from numbers drawn from a PCG stream seeded with seed
// and label. (crypto/rsa.GenerateKey reads crypto/rand, which would make
// every run differ.) 1024 bits keeps a run fast; production keys are 2048
// bits or more, and nothing in the lesson depends on the size.
func SeedRSAKey(seed uint64, label string) *rsa.PrivateKey {
	h := sha256.Sum256([]byte(label))
	r := rand.New(rand.NewPCG(seed, binary.BigEndian.Uint64(h[:8])))
	one, e := big.NewInt(1), big.NewInt(65537)
	for {
		p, q := seedPrime(r, 512), seedPrime(r, 512)
		if p.Cmp(q) == 0 {
			continue
		}
		phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
		d := new(big.Int).ModInverse(e, phi)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537}, D: d, Primes: []*big.Int{p, q}}
		k.Precompute()
		if k.Validate() == nil {
			return k
		}
	}
}

func seedPrime(r *rand.Rand, bits int) *big.Int {
	b := make([]byte, bits/8)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	b[0] |= 0xC0 // two top bits: the product has the full size
	b[len(b)-1] |= 1
	p, two := new(big.Int).SetBytes(b), big.NewInt(2)
	for !p.ProbablyPrime(20) { // deterministic: its bases derive from p
		p.Add(p, two)
	}
	return p
}

// PublicPEM is the public key as PEM text, as a JWKS endpoint or a config
// file hands it out.
func PublicPEM(k *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		panic(fmt.Sprintf("jwt: marshalling an RSA public key failed: %v", err))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
