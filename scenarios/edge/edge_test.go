package edge

import (
	"testing"
	"time"

	"github.com/dsimlab/dsim/scenarios"
	"github.com/dsimlab/dsim/scenarios/scenariotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metric = scenariotest.Metric

func run(t *testing.T, name string, seed uint64) scenarios.Result {
	t.Helper()
	res := scenariotest.Run(t, name, scenarios.Options{Seed: seed})
	require.NoError(t, res.Err, "%s seed %d", name, seed)
	return res
}

var chapters = map[string]string{
	"jwt-alg-confusion": "security",
	"zero-trust":        "security",
}

// Same seed, same trace; another seed, another trace.
func TestDeterministic(t *testing.T) {
	for n, ch := range chapters {
		t.Run(n, func(t *testing.T) {
			s, err := scenarios.Lookup(n)
			require.NoError(t, err)
			assert.Equal(t, ch, s.Chapter)
			assert.NotEmpty(t, s.LookFor)
			scenariotest.CheckDeterministic(t, s)
		})
	}
}

// The verifier, case by case: what a header-trusting verifier accepts that
// a pinned one refuses.
func TestVerifier(t *testing.T) {
	key := SeedRSAKey(1, "test")
	other := SeedRSAKey(2, "test")
	pemText := PublicPEM(&key.PublicKey)
	claims := JWTClaims{Sub: "alice", Role: "user", Exp: 1000, JTI: "t1"}
	cases := []struct {
		name             string
		token            string
		trusting, pinned error
	}{
		{"RS256 by the issuer", SignRS256(key, claims), nil, nil},
		{"RS256 by another key", SignRS256(other, claims), ErrSignature, ErrSignature},
		{"HS256 keyed with the public key", SignHS256([]byte(pemText), claims), nil, ErrAlgorithm},
		{"HS256 keyed with a guess", SignHS256([]byte("secret"), claims), ErrSignature, ErrAlgorithm},
		{"alg none", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", ErrAlgorithm, ErrAlgorithm},
		{"two parts", "a.b", ErrMalformed, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verifier{Key: &key.PublicKey, KeyPEM: pemText, TrustHeader: true}.Verify(tc.token, 500)
			assert.ErrorIs(t, err, tc.trusting)
			if tc.trusting == nil {
				assert.NoError(t, err)
			}
			_, err = Verifier{Key: &key.PublicKey, KeyPEM: pemText}.Verify(tc.token, 500)
			assert.ErrorIs(t, err, tc.pinned)
			if tc.pinned == nil {
				assert.NoError(t, err)
			}
		})
	}
	_, err := Verifier{Key: &key.PublicKey}.Verify(SignRS256(key, claims), 1000)
	assert.ErrorIs(t, err, ErrExpired)
	assert.Equal(t, PublicPEM(&SeedRSAKey(1, "test").PublicKey), pemText, "the key is a function of the seed")
}

// The forged admin token gets past only the header-trusting verifier; the
// deny list closes a stolen token within one push.
func TestJWTAlgConfusion(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "jwt-alg-confusion", seed)
		assert.Equal(t, 10.0, metric(t, res, "trust_header_forged_accepted"))
		assert.Zero(t, metric(t, res, "pinned_forged_accepted"))
		assert.Zero(t, metric(t, res, "pinned_no_deny_list_forged_accepted"))
		assert.Greater(t, metric(t, res, "pinned_revocation_window"), 0.0)
		assert.LessOrEqual(t, metric(t, res, "pinned_revocation_window"), 0.27)
		assert.InDelta(t, 1.0, metric(t, res, "pinned_no_deny_list_revocation_window"), 0.02, "lives until expiry")
	}
	res := scenariotest.Run(t, "jwt-alg-confusion", scenarios.Options{Seed: 1, Knobs: scenarios.Knobs{"deny-sync": "50ms"}})
	require.NoError(t, res.Err)
	assert.Less(t, metric(t, res, "pinned_revocation_window"), (60 * time.Millisecond).Seconds(), "a faster push, a shorter window")
}

// The table of calls: perimeter lets the compromised service read
// everything, identity stops only the spoofing, least privilege stops both.
func TestZeroTrust(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "zero-trust", seed)
		assert.Equal(t, 2000.0, metric(t, res, "perimeter_leaked_records"))
		assert.Equal(t, 1000.0, metric(t, res, "identity_only_leaked_records"))
		assert.Zero(t, metric(t, res, "zero_trust_leaked_records"))
		assert.Equal(t, 10.0, metric(t, res, "zero_trust_call2_allowed"), "the legitimate call still passes")
		assert.Zero(t, metric(t, res, "perimeter_call5_allowed"), "the perimeter does keep outsiders out")
	}
}
