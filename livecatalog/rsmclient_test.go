package livecatalog

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dsimlab/dsim/network/tcp"
)

// An operation too large to send fails at once, saying so, rather than
// being "retried" until the deadline and reported as possibly applied: it
// never left the client. Nothing listens at the cluster's addresses, so a
// request that was tried ends in ErrUnavailable instead.
func TestClientRefusesAnOversizedRequestAtOnce(t *testing.T) {
	proto, err := Lookup("raft-kv")
	require.NoError(t, err)
	reg, err := proto.NewRegistry()
	require.NoError(t, err)
	cluster := tcp.Cluster{Name: "nowhere", Members: []tcp.Member{{ID: "n1", Addr: "127.0.0.1:1"}, {ID: "n2", Addr: "127.0.0.1:2"}}}
	cases := []struct {
		name     string
		size     int
		tooLarge bool
	}{
		{"over a frame", tcp.MaxFrameSize, true},
		{"base64 fits, the request does not", 12_533_760, true}, // 16,711,680 bytes of base64, plus the envelope
		{"small", 1000, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClient(cluster, reg, nil)
			c.TryTimeout = 50 * time.Millisecond
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := c.Do(ctx, make([]byte, tc.size))
			require.Error(t, err)
			if !tc.tooLarge {
				assert.ErrorIs(t, err, ErrUnavailable)
				return
			}
			assert.ErrorIs(t, err, ErrRequestTooLarge)
			assert.False(t, errors.Is(err, ErrUnavailable), "reported as unavailable: %v", err)
			assert.Contains(t, err.Error(), "it was not sent")
			assert.Zero(t, c.Switches(), "it tried a server")
		})
	}
}
