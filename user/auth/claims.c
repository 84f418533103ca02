// SPDX-License-Identifier: MIT
/* Version 2 token claims: see auth/claims.h. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/claims.h"

static uint64_t be_get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void be_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The client claim's value: family, prefix, address. 0 or -1. */
static int client_parse(const uint8_t *v, size_t len, struct allow_rule *r)
{
	size_t alen = v[0] == 4 ? 4 : 16;

	if ((v[0] != 4 && v[0] != 6) || len != 2 + alen || v[1] > alen * 8)
		return -1;
	memset(r, 0, sizeof(*r));
	r->family = v[0] == 4 ? AF_INET : AF_INET6;
	r->prefix = v[1];
	memcpy(r->ip, v + 2, alen);
	r->port_lo = 0;
	r->port_hi = 65535;
	return 0;
}

int claims_parse(const uint8_t *plain, size_t plen, size_t *alen,
		 struct token_claims *c, const char **why)
{
	const uint8_t *nul = memchr(plain, 0, plen);
	size_t off;
	int last = 0;

	memset(c, 0, sizeof(*c));
	*alen = nul ? (size_t)(nul - plain) : plen;
	for (off = *alen + 1; off < plen;) {
		const uint8_t *v = plain + off + 2;
		uint8_t type = plain[off], len;

		if (plen - off < 2 || plen - off - 2 < plain[off + 1]) {
			*why = "token claims cut short";
			return -1;
		}
		len = plain[off + 1];
		if (type <= last) {
			*why = "token claims out of order or repeated";
			return -1;
		}
		last = type;
		switch (type) {
		case CLAIM_CLIENT:
			if (len < 2 || client_parse(v, len, &c->client) < 0) {
				*why = "token's client claim malformed";
				return -1;
			}
			c->has_client = 1;
			break;
		case CLAIM_NOT_BEFORE:
			if (len != 8) {
				*why = "token's not-before claim malformed";
				return -1;
			}
			c->not_before = be_get(v, 8);
			c->has_not_before = 1;
			break;
		case CLAIM_USES:
			if (len != 4 || be_get(v, 4) == 0) {
				*why = "token's use limit malformed";
				return -1;
			}
			c->uses = (uint32_t)be_get(v, 4);
			break;
		default:
			*why = "token has a claim this gateway does not know";
			return -1;
		}
		off += 2u + len;
	}
	if (nul && last == 0) {
		*why = "token claims empty";
		return -1;
	}
	return 0;
}

int claims_encode(const struct token_claims *c, uint8_t *out, size_t max)
{
	uint8_t b[CLAIMS_MAX];
	size_t n = 1;

	b[0] = 0;
	if (c->has_client) {
		size_t alen = c->client.family == AF_INET ? 4 : 16;

		b[n++] = CLAIM_CLIENT;
		b[n++] = (uint8_t)(2 + alen);
		b[n++] = c->client.family == AF_INET ? 4 : 6;
		b[n++] = c->client.prefix;
		memcpy(b + n, c->client.ip, alen);
		n += alen;
	}
	if (c->has_not_before) {
		b[n++] = CLAIM_NOT_BEFORE;
		b[n++] = 8;
		be_put(b + n, c->not_before, 8);
		n += 8;
	}
	if (c->uses) {
		b[n++] = CLAIM_USES;
		b[n++] = 4;
		be_put(b + n, c->uses, 4);
		n += 4;
	}
	if (n == 1)
		return 0;
	if (n > max)
		return -1;
	memcpy(out, b, n);
	return (int)n;
}

int claims_client_parse(const char *cidr, struct allow_rule *r)
{
	const char *slash = strchr(cidr, '/');
	size_t len = slash ? (size_t)(slash - cidr) : strlen(cidr);
	unsigned long prefix;
	char ip[INET6_ADDRSTRLEN], *end;

	memset(r, 0, sizeof(*r));
	if (len == 0 || len >= sizeof(ip))
		return -1;
	memcpy(ip, cidr, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, r->ip) == 1)
		r->family = AF_INET;
	else if (inet_pton(AF_INET6, ip, r->ip) == 1)
		r->family = AF_INET6;
	else
		return -1;
	prefix = r->family == AF_INET ? 32 : 128;
	if (slash) {
		unsigned long p = strtoul(slash + 1, &end, 10);

		if (slash[1] < '0' || slash[1] > '9' || *end || p > prefix)
			return -1;
		prefix = p;
	}
	r->prefix = (uint8_t)prefix;
	r->port_hi = 65535;
	/* the network's address: host bits zero, as every issuer writes it */
	for (unsigned i = 0; i < 16; i++)
		if (i * 8 >= prefix)
			r->ip[i] = 0;
		else if (i * 8 + 8 > prefix)
			r->ip[i] &= (uint8_t)(0xff << (8 - (prefix - i * 8)));
	return 0;
}

void claims_fmt(const struct token_claims *c, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	size_t n = 0;

	out[0] = '\0';
	if (c->has_client) {
		inet_ntop(c->client.family, c->client.ip, ip, sizeof(ip));
		n += (size_t)snprintf(out + n, len - n, "client %s/%u", ip,
				      c->client.prefix);
	}
	if (c->has_not_before && n < len)
		n += (size_t)snprintf(out + n, len - n, "%snot before %" PRIu64,
				      n ? ", " : "", c->not_before);
	if (c->uses && n < len)
		n += (size_t)snprintf(out + n, len - n, "%suses %" PRIu32,
				      n ? ", " : "", c->uses);
	if (n == 0)
		snprintf(out, len, "none");
}
