package tcp

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/dsimlab/dsim/sim"
)

// handshakeFrameLimit bounds handshake frames: before a stranger has proved
// anything it may not make us read more than this.
const handshakeFrameLimit = 4096

// handshakeRegistry decodes the handshake: until the other side has proved
// membership, only the runtime's own tcp.* messages are decoded; anything
// else, a Raft message say, is an unknown type and closes the connection.
var handshakeRegistry = NewRegistry()

// ErrRefused is wrapped by the error Handshake returns when the other side
// refused the connection; the error text carries its reason.
var ErrRefused = errors.New("tcp: connection refused by node")

// Handshake runs the dialing side of the handshake on a fresh connection:
// it sends h (filling in the version and a nonce), checks the acceptor's
// proof if secret is set, proves its own, and waits for Welcome.
func Handshake(c net.Conn, reg *Registry, secret []byte, h Hello) error {
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	defer c.SetDeadline(time.Time{})
	h.Version = ProtocolVersion
	h.Nonce = newNonce()
	if err := writeMessage(c, reg, h); err != nil {
		return fmt.Errorf("handshake with %s: %w", h.To, err)
	}
	msg, err := handshakeRegistry.DecodeFrame(c, handshakeFrameLimit)
	if err != nil {
		return fmt.Errorf("handshake with %s: %w", h.To, err)
	}
	var ch Challenge
	switch m := msg.(type) {
	case Refused:
		return fmt.Errorf("%w %s: %s", ErrRefused, h.To, m.Reason)
	case Challenge:
		ch = m
	default:
		return fmt.Errorf("handshake with %s: expected tcp.Challenge, got %T", h.To, msg)
	}
	var proof Proof
	if len(secret) > 0 {
		if !hmacEqual(ch.MAC, handshakeMAC(secret, "acceptor", h, ch.Nonce)) {
			return fmt.Errorf("handshake with %s: it did not prove it knows the cluster secret", h.To)
		}
		proof.MAC = handshakeMAC(secret, "dialer", h, ch.Nonce)
	}
	if err := writeMessage(c, reg, proof); err != nil {
		return fmt.Errorf("handshake with %s: %w", h.To, err)
	}
	msg, err = handshakeRegistry.DecodeFrame(c, handshakeFrameLimit)
	if err != nil {
		return fmt.Errorf("handshake with %s: %w", h.To, err)
	}
	switch m := msg.(type) {
	case Welcome:
		return nil
	case Refused:
		return fmt.Errorf("%w %s: %s", ErrRefused, h.To, m.Reason)
	}
	return fmt.Errorf("handshake with %s: expected tcp.Welcome, got %T", h.To, msg)
}

func hmacEqual(got, want []byte) bool { return len(got) > 0 && hmac.Equal(got, want) }

// writeMessage encodes msg and writes it as one frame.
func writeMessage(c net.Conn, reg *Registry, msg sim.Message) error {
	b, err := reg.Encode(msg)
	if err != nil {
		return err
	}
	_, err = c.Write(b)
	return err
}
