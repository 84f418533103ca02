// SPDX-License-Identifier: MIT

// gatewayscmd ETCD_URL[,URL...]: the live gateways' addresses, a line
// each, fewest sessions first (tests/test_clients.c compares them).
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"sockgate"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gws, err := sockgate.LiveGateways(ctx, strings.Split(os.Args[1], ","), "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, g := range gws {
		fmt.Println(g.Addr)
	}
}
