/* SPDX-License-Identifier: MIT */
#ifndef SG_ALLOW_H
#define SG_ALLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One --allow rule: CIDR[:PORT[-PORT]]; IPv6 in brackets when a port
 * follows ("[::1]/128:22"). A bare address is a /32 or /128; an
 * IPv4-mapped one (::ffff:a.b.c.d/96 or longer) is the IPv4 rule. */
struct allow_rule {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t ip[16];
	uint16_t port_lo, port_hi; /* 1-65535 when no port is given */
};

struct allow {
	struct allow_rule *v;
	size_t n;
};

/* Parses one rule; 0, or -1 when it is not one. */
int allow_parse(const char *s, struct allow_rule *r);
/* Appends a rule; 0 or -1 (ENOMEM). */
int allow_add(struct allow *a, const struct allow_rule *r);
/* Reads rules, one a line (core/lines.h). 0, or -1 with a message in
 * why (the line that does not parse or is too long, or the file that
 * cannot be read). */
int allow_load_file(struct allow *a, const char *path, char *why,
		    size_t whylen);
void allow_free(struct allow *a);
/* Does a rule take sa (an IPv4-mapped IPv6 address counts as IPv4)? */
int allow_match(const struct allow *a, const struct sockaddr *sa);
struct sg_caddr;
/* The same for an address already plain (sg_caddr_set_plain). */
int allow_match_caddr(const struct allow *a, const struct sg_caddr *c);

#endif
