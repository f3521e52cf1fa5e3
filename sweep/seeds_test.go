package sweep_test

import (
	"testing"

	"github.com/dsimlab/dsim/sweep"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSeeds(t *testing.T) {
	cases := []struct {
		in   string
		want []uint64
	}{
		{"7", []uint64{7}},
		{"0", []uint64{0}},
		{"1-5", []uint64{1, 2, 3, 4, 5}},
		{"4-4", []uint64{4}},
		{"1,5,9-12", []uint64{1, 5, 9, 10, 11, 12}},
		{"9-10, 3 ,1", []uint64{1, 3, 9, 10}}, // sorted, spaces allowed
		{"18446744073709551614-18446744073709551615", []uint64{1<<64 - 2, 1<<64 - 1}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := sweep.ParseSeeds(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	assert.Len(t, must(sweep.ParseSeeds("1-1000")), 1000)
}

func TestParseSeedsRefusesTyposWithAClearMessage(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "empty; write seeds like 1-1000"},
		{"1-", `range "1-" needs a seed on both sides`},
		{"-5", `range "-5" needs a seed on both sides`},
		{"a-b", `"a" is not a seed`},
		{"seven", `"seven" is not a seed`},
		{"1.5", `"1.5" is not a seed`},
		{"10-1", "range 10-1 is reversed; did you mean 1-10?"},
		{"1,,2", "an empty item"},
		{"1,", "an empty item"},
		{"3,1-5", "seed 3 is listed twice"},
		{"1-2-3", `"2-3" is not a seed`},
		{"18446744073709551616", "is not a seed"},
		{"1-2000000", "more than 1000000 seeds"},
		{"0-18446744073709551615", "more than 1000000 seeds"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := sweep.ParseSeeds(tc.in)
			require.ErrorIs(t, err, sweep.ErrSeeds)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
