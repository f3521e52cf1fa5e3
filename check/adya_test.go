package check_test

import (
	"testing"

	"github.com/dsimlab/dsim/check"
	"github.com/stretchr/testify/assert"
)

func w(key string) check.TxnOp { return check.TxnOp{Write: true, Key: key} }
func r(key, from string) check.TxnOp {
	return check.TxnOp{Key: key, From: from}
}
func scan(prefix string, observed map[string]string) check.TxnOp {
	return check.TxnOp{Prefix: prefix, Observed: observed}
}
func commit(id string, ops ...check.TxnOp) check.Txn {
	return check.Txn{ID: id, Committed: true, Ops: ops}
}

// Each anomaly found in a history written by hand, with the transactions
// of its cycle; none in serial histories.
func TestCheckTxns(t *testing.T) {
	tests := []struct {
		name string
		h    check.TxnHistory
		kind string   // "" for none
		txns []string // the transactions involved
	}{
		{"serial: each reads what the one before wrote", check.TxnHistory{Txns: []check.Txn{
			commit("T1", r("x", check.InitialTxn), w("x")),
			commit("T2", r("x", "T1"), w("y"), scan("k", map[string]string{"k1": check.InitialTxn})),
			commit("T3", r("x", "T1"), r("y", "T2"), w("k2")),
			commit("T4", scan("k", map[string]string{"k1": check.InitialTxn, "k2": "T3"})),
		}}, "", nil},
		{"serial, one aborted and unread", check.TxnHistory{Txns: []check.Txn{
			{ID: "T1", Ops: []check.TxnOp{w("x")}},
			commit("T2", r("x", check.InitialTxn), w("x")),
		}}, "", nil},
		{"G0: x installed T1 then T2, y T2 then T1", check.TxnHistory{
			Txns:         []check.Txn{commit("T1", w("x"), w("y")), commit("T2", w("x"), w("y"))},
			VersionOrder: map[string][]string{"x": {"T1", "T2"}, "y": {"T2", "T1"}},
		}, "G0", []string{"T1", "T2"}},
		{"G1a: a dirty read of a write later aborted", check.TxnHistory{Txns: []check.Txn{
			{ID: "T1", Ops: []check.TxnOp{w("x")}},
			commit("T2", r("x", "T1")),
		}}, "G1a", []string{"T1", "T2"}},
		{"G1b: a read of an intermediate write", check.TxnHistory{Txns: []check.Txn{
			commit("T1", w("x"), w("x")),
			commit("T2", check.TxnOp{Key: "x", From: "T1", FromIndex: 0}),
		}}, "G1b", []string{"T1", "T2"}},
		{"G1c: each reads the other's write", check.TxnHistory{Txns: []check.Txn{
			commit("T1", w("x"), r("y", "T2")),
			commit("T2", w("y"), r("x", "T1")),
		}}, "G1c", []string{"T1", "T2"}},
		{"G-single: lost update", check.TxnHistory{Txns: []check.Txn{
			commit("T1", r("x", check.InitialTxn), w("x")),
			commit("T2", r("x", check.InitialTxn), w("x")),
		}}, "G-single", []string{"T1", "T2"}},
		{"G-single: non-repeatable read", check.TxnHistory{Txns: []check.Txn{
			commit("T2", w("x")),
			commit("T1", r("x", check.InitialTxn), r("x", "T2")),
		}}, "G-single", []string{"T1", "T2"}},
		{"G-single: phantom", check.TxnHistory{Txns: []check.Txn{
			commit("T2", w("emp/2")),
			commit("T1", scan("emp/", map[string]string{"emp/1": check.InitialTxn}),
				scan("emp/", map[string]string{"emp/1": check.InitialTxn, "emp/2": "T2"})),
		}}, "G-single", []string{"T1", "T2"}},
		{"G2: write skew", check.TxnHistory{Txns: []check.Txn{
			commit("T1", r("x", check.InitialTxn), r("y", check.InitialTxn), w("x")),
			commit("T2", r("x", check.InitialTxn), r("y", check.InitialTxn), w("y")),
		}}, "G2", []string{"T1", "T2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			found := check.CheckTxns(tt.h)
			if tt.kind == "" {
				assert.Empty(t, found)
				return
			}
			if assert.Len(t, found, 1, "%v", found) {
				assert.Equal(t, tt.kind, found[0].Kind, found[0].String())
				assert.ElementsMatch(t, tt.txns, found[0].Txns, found[0].String())
			}
		})
	}
}

// The cycle reported for write skew is the two anti-dependencies.
func TestCheckTxnsReportsTheCycle(t *testing.T) {
	found := check.CheckTxns(check.TxnHistory{Txns: []check.Txn{
		commit("T1", r("x", check.InitialTxn), r("y", check.InitialTxn), w("x")),
		commit("T2", r("x", check.InitialTxn), r("y", check.InitialTxn), w("y")),
	}})
	assert.Equal(t, "G2: T1 -rw(y)-> T2, T2 -rw(x)-> T1", found[0].String())
}
