// SPDX-License-Identifier: MIT

// Package sockgate connects through a sockgate gateway: it sends the
// token line, reads the 3-byte status exactly, and returns the
// connection right after it, so a backend's first bytes are the first
// the caller reads. The secret never belongs in client code.
package sockgate

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// StatusError is a gateway's refusal: Code is its status (400, 401, 502,
// 504), or 0 for a short or malformed one.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string {
	if e.Msg != "" {
		return e.Msg
	}
	return fmt.Sprintf("sockgate: gateway answered %d", e.Code)
}

// Dial connects to the gateway at address on network ("tcp", "tcp4",
// "tcp6") and presents token. It honours ctx's deadline and
// cancellation for the connect and the status. TCP_NODELAY is on (Go's
// default for TCP).
func Dial(ctx context.Context, network, address, token string) (net.Conn, error) {
	return dial(ctx, network, address, token, nil)
}

// DialTLS is Dial to a gateway run with --tls-cert: the session is TLS
// from the first byte. The certificate and the server's name are
// verified as crypto/tls does by default: config nil uses the system's
// CAs and the host of address as the name (config.ServerName and
// config.RootCAs change them).
func DialTLS(ctx context.Context, network, address, token string, config *tls.Config) (net.Conn, error) {
	if config == nil {
		config = &tls.Config{}
	}
	return dial(ctx, network, address, token, config)
}

func dial(ctx context.Context, network, address, token string, config *tls.Config) (net.Conn, error) {
	if strings.ContainsAny(token, "\r\n") {
		return nil, errors.New("sockgate: a token is one line")
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	// a cancellation while we wait for the status ends the wait
	stop := make(chan struct{})
	defer close(stop)
	go func(raw net.Conn) {
		select {
		case <-ctx.Done():
			raw.SetDeadline(time.Unix(1, 0))
		case <-stop:
		}
	}(conn)
	if config != nil {
		c := config.Clone()
		if c.ServerName == "" {
			c.ServerName, _, _ = net.SplitHostPort(address)
		}
		tc := tls.Client(conn, c)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, ctxErr(ctx, err)
		}
		conn = tc
	}
	if _, err := io.WriteString(conn, token+"\n"); err != nil {
		conn.Close()
		return nil, ctxErr(ctx, err)
	}
	var status [3]byte // exactly three: what follows is the backend's
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		conn.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &StatusError{0, "sockgate: no status from the gateway"}
		}
		return nil, ctxErr(ctx, err)
	}
	code := 0
	for _, c := range status {
		if c < '0' || c > '9' {
			conn.Close()
			return nil, &StatusError{0, fmt.Sprintf("sockgate: malformed status %q", status[:])}
		}
		code = code*10 + int(c-'0')
	}
	if code != 200 {
		conn.Close()
		return nil, &StatusError{Code: code}
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// ctxErr reports the context's error for a failure it caused: the
// connection's deadline is the context's, and may fire a moment before
// the context marks itself done.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if _, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}
