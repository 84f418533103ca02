/* SPDX-License-Identifier: MIT */
#ifndef SG_ADDR_H
#define SG_ADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An IPv4 or IPv6 peer address, without sockaddr_storage's 128 bytes. */
union sg_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* The same, packed for a session's close log: 20 bytes instead of 28. */
struct sg_caddr {
	uint8_t ip[16]; /* IPv4: the first 4 */
	uint16_t port;	/* host order */
	uint8_t family; /* AF_INET, AF_INET6, or 0: none */
};

/* Longest text sg_caddr_fmt writes, with its NUL: "[v6]:65535". */
#define SG_ADDR_TEXT 56

void sg_caddr_set(struct sg_caddr *c, const struct sockaddr *sa);
/* The same, an IPv4-mapped IPv6 address taken as the IPv4 one (what
 * policy and headers compare). 0, or -1 for a family of neither. */
int sg_caddr_set_plain(struct sg_caddr *c, const struct sockaddr *sa);
/* The same for one already set, in place. */
int sg_caddr_unmap(struct sg_caddr *c);
/* "1.2.3.4:5", "[::1]:5", or "-" for none. */
void sg_caddr_fmt(const struct sg_caddr *c, char *out, size_t len);
/* The same for a socket address. */
void sg_sockaddr_fmt(const struct sockaddr *sa, char *out, size_t len);

/* "host:port" (host may be empty or [v6]; port 0 to 65535 in digits) to
 * a socket address. 0 or -1. */
int sg_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif
