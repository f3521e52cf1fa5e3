package rsm

import (
	"fmt"

	"github.com/dsimlab/dsim/sim"
)

// Err is the outcome of a client request, as carried in a ClientReply. It is
// a plain string so that replies cross a real network and read well in a
// trace.
type Err string

// Outcomes of a client request.
const (
	// OK means the operation was applied and Result is its result.
	OK Err = ""
	// ErrWrongLeader means this server could not order the operation: it
	// is not the leader, or it lost leadership before the operation was
	// committed. Try ClientReply.Leader, or another server.
	ErrWrongLeader Err = "wrong leader"
)

// ClientRequest asks a Server to apply Op to the state machine. A retry
// carries the same ClientID and Seq, which is how duplicates are detected.
type ClientRequest struct {
	ClientID string
	Seq      uint64 // per client, from 1, one higher for each new operation
	Op       []byte
}

// ClientReply answers a ClientRequest.
type ClientReply struct {
	ClientID string
	Seq      uint64
	Err      Err
	Leader   sim.NodeID // on ErrWrongLeader, who the server thinks leads ("" if unknown)
	Result   []byte     // on OK, the state machine's result
}

// String renders the operation as text, so traces show put "x" "1" rather
// than a list of bytes.
func (r ClientRequest) String() string {
	return fmt.Sprintf("ClientRequest{ClientID:%s Seq:%d Op:%s}", r.ClientID, r.Seq, printable(r.Op))
}

func (r ClientReply) String() string {
	if r.Err != OK {
		return fmt.Sprintf("ClientReply{ClientID:%s Seq:%d Err:%s Leader:%s}", r.ClientID, r.Seq, r.Err, r.Leader)
	}
	return fmt.Sprintf("ClientReply{ClientID:%s Seq:%d Result:%s}", r.ClientID, r.Seq, printable(r.Result))
}

// printable shows text as it is and anything else quoted.
func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return fmt.Sprintf("%q", b)
		}
	}
	return string(b)
}
