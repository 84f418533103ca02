// SPDX-License-Identifier: MIT

// issuecmd SECRET ADDRESS: a version 2 token, then a legacy one, a line
// each (tests/test_clients.c checks both against the gateway and openssl).
// issuecmd SECRET ADDRESS claims: a token bound to 127.0.0.1/32 for one
// use, then one not good for an hour.
package main

import (
	"fmt"
	"os"
	"time"

	"sockgate"
)

func main() {
	if len(os.Args) == 4 && os.Args[3] == "claims" {
		once, err := sockgate.IssueTokenClaims(os.Args[2], os.Args[1], time.Minute,
			sockgate.Claims{BindClient: "127.0.0.1/32", Uses: 1})
		if err != nil {
			panic(err)
		}
		later, err := sockgate.IssueTokenClaims(os.Args[2], os.Args[1], 0,
			sockgate.Claims{NotBefore: time.Now().Add(time.Hour)})
		if err != nil {
			panic(err)
		}
		fmt.Println(once)
		fmt.Println(later)
		return
	}
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
