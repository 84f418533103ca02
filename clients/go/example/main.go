// SPDX-License-Identifier: MIT

// example HOST:PORT TOKEN: connect through a gateway, print the
// backend's first bytes.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"sockgate"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := sockgate.Dial(ctx, "tcp", os.Args[1], os.Args[2])
	var se *sockgate.StatusError
	if errors.As(err, &se) {
		fmt.Fprintln(os.Stderr, "refused:", se.Code)
		os.Exit(1)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	n, _ := conn.Read(buf)
	os.Stdout.Write(buf[:n])
}
