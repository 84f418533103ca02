/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_PEERS_H
#define SG_TEST_PEERS_H

/* Everything a test file uses, one role a file. */
#include "daemons.h" /* etcd and dnsmasq, real servers */
#include "dnsd.h"    /* a DNS server: NXDOMAIN or slow answers */
#include "figures.h" /* /proc, the metrics endpoint, pinned maps */
#include "fixture.h" /* gateway + backend + client in one call; modes */
#include "gwproc.h"  /* the daemon as a process */
#include "netns.h"   /* namespaces for peers that vanish */
#include "servers.h" /* echo and sink backends */
#include "sock.h"    /* loopback sockets, the client handshake */
#include "tokens.h"  /* tokens by the openssl CLI */
#include "xfer.h"    /* integrity streams checked by SHA-256 */

#endif
