/* SPDX-License-Identifier: MIT */
#ifndef SG_SELFADDR_H
#define SG_SELFADDR_H

#include <sys/socket.h>

/* The gateway's own listening addresses: its port and its metrics one. */
#define SELF_MAX 2

struct selfaddr {
	struct sockaddr_storage a[SELF_MAX];
	int n;
};

/* Notes a bound listening socket's address. */
void selfaddr_add(struct selfaddr *s, const struct sockaddr *sa);
/*
 * Would a connect to dst reach one of them? Same port, and the same
 * address or, for a wildcard listener, any address of this host (the
 * unspecified address and loopback included). 1 or 0.
 */
int selfaddr_match(const struct selfaddr *s, const struct sockaddr *dst);

#endif
