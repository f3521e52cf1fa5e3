package sim

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// appendField's fast path writes exactly what json.Marshal writes, so trace
// bytes (and their hashes) do not depend on which path a string took.
func TestAppendFieldWritesWhatJSONMarshalWrites(t *testing.T) {
	cases := []string{
		"", "n1", "Ping{Seq:3}", `put "k0" "c1:7;"`, "a<b", "x>y", "&", `back\slash`,
		"tab\there", "new\nline", "\x7f", "é", "日本語", "\u2028", "\xff\xfe", "{Values:[1 2 3]}",
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abcXYZ019 :;{}[]\"\\<>&\t\n\x00\x1f\x7f\x80\xc3\xa9\xe2\x80\xa8")
	for range 5000 {
		b := make([]byte, r.IntN(12))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		q, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		want := `,"f":` + string(q)
		if got := string(appendField(nil, "f", s)); s != "" && got != want {
			t.Fatalf("appendField(%q) = %s, json.Marshal gives %s", s, got, want)
		}
	}
}
