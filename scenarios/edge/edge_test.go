package edge

import (
	"path/filepath"
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
	"api-gateway":       "web",
	"service-mesh":      "web",
	"byzantine":         "security",
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

// The gateway refuses eve at the edge, limits bob and not alice, and its
// timeout and breaker keep /home fast while recommendations is slow.
func TestAPIGateway(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "api-gateway", seed)
		assert.Zero(t, metric(t, res, "eve_200"))
		assert.Positive(t, metric(t, res, "eve_401"))
		assert.Zero(t, metric(t, res, "alice_429"))
		assert.Greater(t, metric(t, res, "bob_429"), metric(t, res, "bob_200"), "bob is limited more often than not")
		assert.Greater(t, metric(t, res, "bare_home_p99_slow"), 0.5)
		assert.Less(t, metric(t, res, "guarded_home_p99_slow"), 0.06)
		assert.Positive(t, metric(t, res, "guarded_home_degraded_slow"))
		assert.Positive(t, metric(t, res, "guarded_recs_fast_failures"))
		assert.Greater(t, metric(t, res, "guarded_backend_calls"), metric(t, res, "guarded_forwarded"), "aggregation: more backend calls than client requests")
	}
}

// Retries compose by multiplication: tries^layers at the backend; budgets
// keep it near 1.
func TestServiceMesh(t *testing.T) {
	for _, seed := range scenariotest.Seeds[:3] {
		res := run(t, "service-mesh", seed)
		assert.InDelta(t, 1.0, metric(t, res, "no_retries_amplification"), 0.01)
		assert.InDelta(t, 3.0, metric(t, res, "edge_retries_only_amplification"), 0.01)
		assert.InDelta(t, 27.0, metric(t, res, "retries_everywhere_amplification"), 0.01)
		assert.Less(t, metric(t, res, "retry_budgets_amplification"), 2.0)
	}
	res := scenariotest.Run(t, "service-mesh", scenarios.Options{Seed: 1, Knobs: scenarios.Knobs{"layers": "2", "tries": "4"}})
	require.NoError(t, res.Err)
	assert.InDelta(t, 16.0, metric(t, res, "retries_everywhere_amplification"), 0.01, "4 tries at 2 layers")
}

// One liar breaks Raft; signed broadcast with n = 3f+1 holds against f
// colluding liars, n = 3f and unchecked signatures do not.
func TestByzantine(t *testing.T) {
	for _, seed := range scenariotest.Seeds {
		res := run(t, "byzantine", seed)
		assert.Zero(t, metric(t, res, "raft_agreement"), "one liar in five splits Raft")
		assert.Equal(t, 1.0, metric(t, res, "bft4_agreement"))
		assert.Equal(t, 1.0, metric(t, res, "bft4_values_delivered"), "the liar's broadcast is delivered, as one value")
		assert.Equal(t, 1.0, metric(t, res, "bft4_honest_delivered"))
		assert.Positive(t, metric(t, res, "bft4_bad_signatures"), "forged echoes refused")
		assert.Zero(t, metric(t, res, "bft3_agreement"))
		assert.Zero(t, metric(t, res, "bft4_unsigned_agreement"))
	}
	for _, knobs := range []scenarios.Knobs{{"f": "2"}, {"f": "3"}, {"f": "2", "n": "9"}, {"f": "1", "n": "3"}} {
		res := scenariotest.Run(t, "byzantine", scenarios.Options{Seed: 2, Knobs: knobs})
		require.NoError(t, res.Err, "knobs %v", knobs)
	}
	_, err := scenarios.Execute(mustLookup(t, "byzantine"), scenarios.Options{Seed: 1, Knobs: scenarios.Knobs{"f": "3", "n": "4"}})
	assert.ErrorContains(t, err, "fewer than two honest nodes")
}

func mustLookup(t *testing.T, name string) scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Lookup(name)
	require.NoError(t, err)
	return s
}

// With an artifact directory, service-mesh plots inventory's load.
func TestServiceMeshPlot(t *testing.T) {
	dir := t.TempDir()
	res := scenariotest.Run(t, "service-mesh", scenarios.Options{Seed: 1, ArtifactDir: dir})
	require.NoError(t, res.Err)
	assert.FileExists(t, filepath.Join(dir, "service-mesh-seed-1.svg"))
}
