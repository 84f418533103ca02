// SPDX-License-Identifier: MIT

// example HOST PORT TOKEN [MESSAGE]: connect through a gateway, send
// MESSAGE and a newline ("hello" by default), print the backend's first
// bytes back (an echo backend, such as make run's, answers the message).
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"sockgate"
)

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: example HOST PORT TOKEN [MESSAGE]")
		os.Exit(2)
	}
	message := "hello"
	if len(os.Args) == 5 {
		message = os.Args[4]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := sockgate.Dial(ctx, "tcp", net.JoinHostPort(os.Args[1], os.Args[2]), os.Args[3])
	var se *sockgate.StatusError
	if errors.As(err, &se) {
		fmt.Fprintln(os.Stderr, "refused:", se.Code)
		os.Exit(1)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(message + "\n")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	os.Stdout.Write(buf[:n])
}
