// SPDX-License-Identifier: MIT
/* Destination rules (--allow, --allow-file): see auth/allow.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "auth/allow.h"
#include "core/lines.h"

static int parse_num(const char *s, size_t len, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* "PORT" or "PORT-PORT", 1 to 65535. */
static int parse_ports(const char *s, struct allow_rule *r)
{
	const char *dash = strchr(s, '-');
	unsigned lo, hi;

	if (parse_num(s, dash ? (size_t)(dash - s) : strlen(s), 65535, &lo) <
		    0 ||
	    (dash && parse_num(dash + 1, strlen(dash + 1), 65535, &hi) < 0))
		return -1;
	if (!dash)
		hi = lo;
	if (lo == 0 || hi < lo)
		return -1;
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	return 0;
}

/*
 * Destinations are compared with IPv4-mapped IPv6 addresses as IPv4
 * (allow_match), so a rule for ::ffff:a.b.c.d/N becomes the IPv4 rule it
 * means, a.b.c.d/(N-96). One shorter than /96 would mix the two
 * families: refused. 0 or -1.
 */
static int v4_mapped(struct allow_rule *r)
{
	static const uint8_t pfx[12] = { 0, 0, 0, 0, 0,	   0,
					 0, 0, 0, 0, 0xff, 0xff };

	if (r->family != AF_INET6 || memcmp(r->ip, pfx, sizeof(pfx)) != 0)
		return 0;
	if (r->prefix < 96)
		return -1;
	memmove(r->ip, r->ip + 12, 4);
	memset(r->ip + 4, 0, 12);
	r->family = AF_INET;
	r->prefix = (uint8_t)(r->prefix - 96);
	return 0;
}

int allow_parse(const char *s, struct allow_rule *r)
{
	char addr[64];
	const char *ports = NULL, *slash, *end;
	size_t alen;
	unsigned prefix;

	memset(r, 0, sizeof(*r));
	r->port_lo = 1;
	r->port_hi = 65535;
	if (s[0] == '[') {
		/* [v6]/N:PORT or [v6]:PORT or [v6]/N or [v6] */
		end = strchr(s, ']');
		if (!end)
			return -1;
		alen = (size_t)(end - s - 1);
		if (alen == 0 || alen >= sizeof(addr))
			return -1;
		memcpy(addr, s + 1, alen);
		addr[alen] = '\0';
		/* after the bracket: nothing, /N, :PORTS or /N:PORTS */
		s = end + 1;
		slash = *s == '/' ? s : NULL;
		ports = *s == ':' ? s : slash ? strchr(slash, ':') : NULL;
		if (*s && !slash && !ports)
			return -1;
	} else {
		/* v4[/N][:PORT], or a v6 CIDR without a port */
		size_t colons = 0;

		for (const char *p = s; *p; p++)
			colons += *p == ':';
		if (colons == 1)
			ports = strchr(s, ':');
		alen = ports ? (size_t)(ports - s) : strlen(s);
		slash = memchr(s, '/', alen);
		if (slash)
			alen = (size_t)(slash - s);
		if (alen == 0 || alen >= sizeof(addr))
			return -1;
		memcpy(addr, s, alen);
		addr[alen] = '\0';
	}
	if (inet_pton(AF_INET, addr, r->ip) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, r->ip) == 1)
		r->family = AF_INET6;
	else
		return -1;
	prefix = r->family == AF_INET ? 32 : 128;
	if (slash) {
		const char *pend = ports ? ports : slash + strlen(slash);

		if (parse_num(slash + 1, (size_t)(pend - slash - 1), prefix,
			      &prefix) < 0)
			return -1;
	}
	r->prefix = (uint8_t)prefix;
	if (ports && parse_ports(ports + 1, r) < 0)
		return -1;
	return v4_mapped(r);
}

int allow_add(struct allow *a, const struct allow_rule *r)
{
	struct allow_rule *v = realloc(a->v, (a->n + 1) * sizeof(*v));

	if (!v)
		return -1;
	a->v = v;
	a->v[a->n++] = *r;
	return 0;
}

static int add_line(void *arg, const char *entry, const char **what)
{
	struct allow_rule r;

	*what = "not a rule";
	return allow_parse(entry, &r) < 0 || allow_add(arg, &r) < 0 ? -1 : 0;
}

int allow_load_file(struct allow *a, const char *path, char *why, size_t whylen)
{
	return lines_each(path, "--allow-file", add_line, a, why, whylen);
}

void allow_free(struct allow *a)
{
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static int prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	return !rest ||
	       ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int allow_match_caddr(const struct allow *a, const struct sg_caddr *c)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct allow_rule *r = &a->v[i];

		if (r->family == c->family && c->port >= r->port_lo &&
		    c->port <= r->port_hi && prefix_eq(c->ip, r->ip, r->prefix))
			return 1;
	}
	return 0;
}

int allow_match(const struct allow *a, const struct sockaddr *sa)
{
	struct sg_caddr c;

	return sg_caddr_set_plain(&c, sa) == 0 && allow_match_caddr(a, &c);
}
