// SPDX-License-Identifier: MIT

// Run by tests/test_clients.c against a real gateway:
// go run ./selftest GW_HOST GW_PORT GOOD BAD CLOSED SILENT_PORT V6_PORT GREETING
//
//	TLS_PORT CA
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"sockgate"
)

func main() {
	a := os.Args[1:]
	host, port, good, bad, closed, silent, v6port, greeting := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	tport, ca := a[8], a[9]
	ok := true
	check := func(name string, pass bool) {
		if pass {
			fmt.Println("ok " + name)
		} else {
			fmt.Println("FAIL " + name)
			ok = false
		}
	}
	ctx5 := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 5*time.Second)
	}
	greet := func(addr string) bool {
		ctx, cancel := ctx5()
		defer cancel()
		c, err := sockgate.Dial(ctx, "tcp", addr, good)
		if err != nil {
			return false
		}
		defer c.Close()
		buf := make([]byte, len(greeting))
		_, err = io.ReadFull(c, buf)
		return err == nil && string(buf) == greeting
	}
	code := func(addr, token string, d time.Duration) int {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		c, err := sockgate.Dial(ctx, "tcp", addr, token)
		if err == nil {
			c.Close()
			return 200
		}
		var se *sockgate.StatusError
		if errors.As(err, &se) {
			return se.Code
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return -1
		}
		return -2
	}
	check("greeting", greet(net.JoinHostPort(host, port)))
	check("401", code(net.JoinHostPort(host, port), bad, 5*time.Second) == 401)
	check("502", code(net.JoinHostPort(host, port), closed, 5*time.Second) == 502)
	check("timeout", code(net.JoinHostPort("127.0.0.1", silent), good, 500*time.Millisecond) == -1)
	check("ipv6", greet(net.JoinHostPort("::1", v6port)))
	// TLS: the name verified against the test CA, and a wrong name refused
	pem, err := os.ReadFile(ca)
	roots := x509.NewCertPool()
	if err != nil || !roots.AppendCertsFromPEM(pem) {
		check("tls ca", false)
	}
	tlsGreet := func(name string) error {
		ctx, cancel := ctx5()
		defer cancel()
		c, err := sockgate.DialTLS(ctx, "tcp", net.JoinHostPort("127.0.0.1", tport), good,
			&tls.Config{RootCAs: roots, ServerName: name})
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, len(greeting))
		if _, err = io.ReadFull(c, buf); err != nil || string(buf) != greeting {
			return errors.New("no greeting")
		}
		return nil
	}
	check("tls", tlsGreet("localhost") == nil)
	var herr x509.HostnameError
	check("tls verify", errors.As(tlsGreet("wrong.example"), &herr))
	if !ok {
		os.Exit(1)
	}
}
