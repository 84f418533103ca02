// SPDX-License-Identifier: MIT

// issuecmd SECRET ADDRESS: a version 2 token, then a legacy one, a line
// each (tests/test_clients.c checks both against the gateway and openssl).
package main

import (
	"fmt"
	"os"
	"time"

	"sockgate"
)

func main() {
	v2, err := sockgate.IssueToken(os.Args[2], os.Args[1], time.Minute)
	if err != nil {
		panic(err)
	}
	legacy, err := sockgate.IssueLegacyToken(os.Args[2], os.Args[1])
	if err != nil {
		panic(err)
	}
	fmt.Println(v2)
	fmt.Println(legacy)
}
