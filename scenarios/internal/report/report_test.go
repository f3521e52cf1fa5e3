package report

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTableAlignsByRunes(t *testing.T) {
	got := Table([]string{"call", "n"}, [][]string{{"a → b", "10"}, {"long name", "7"}})
	assert.Equal(t, []string{
		"call        n",
		"a → b      10",
		"long name   7",
	}, got)
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{Dur(1234567 * time.Nanosecond), "1.2ms"},
		{Dur(1234567890 * time.Nanosecond), "1.235s"},
		{Pct(1, 3), "33%"},
		{Pct(1, 0), "-"},
		{MetricName("retry+idempotent mode-2"), "retry_idempotent_mode_2"},
	} {
		assert.Equal(t, tc.want, tc.got)
	}
}

func TestChecksKeepTheFirstFailure(t *testing.T) {
	var c Checks
	assert.NoError(t, c.Err())
	c.Failf("first %d", 1)
	c.Failf("second")
	assert.Equal(t, errors.New("first 1").Error(), c.Err().Error())
}
