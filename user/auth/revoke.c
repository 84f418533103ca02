// SPDX-License-Identifier: MIT
/* --revoke-file: see auth/revoke.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/revoke.h"
#include "core/lines.h"

/* 16 hex digits: an id. 1 and *id, or 0. */
static int id_parse(const char *s, uint64_t *id)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 16 && isxdigit((unsigned char)s[i]); i++)
		v = v << 4 | (uint64_t)(isdigit((unsigned char)s[i]) ?
						s[i] - '0' :
						(tolower((unsigned char)s[i]) -
						 'a' + 10));
	if (i != 16 || s[16])
		return 0;
	*id = v;
	return 1;
}

/* A DNS name with an optional ":PORT". 0 or -1. */
static int name_parse(const char *s, struct revoke_name *n)
{
	const char *colon = strrchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
	char *end;

	int letter = 0, hex = 1;

	memset(n, 0, sizeof(*n));
	if (len == 0 || len >= sizeof(n->host))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return -1;
		letter |= isalpha((unsigned char)s[i]);
		hex &= isxdigit((unsigned char)s[i]) != 0;
	}
	/* a name has a letter (1.2.3.400 is a typo, not a name), and hex
	 * digits alone are a token id cut short, not a host */
	if (!letter || (hex && !colon))
		return -1;
	if (colon) {
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (!isdigit((unsigned char)colon[1]) || *end || p == 0 ||
		    p > 65535)
			return -1;
		n->port = (uint16_t)p;
	}
	memcpy(n->host, s, len);
	return 0;
}

static int grow(void **v, size_t n, size_t size)
{
	void *p;

	/* room for 8, then doubled each time it is full */
	if (n != 0 && (n < 8 || (n & (n - 1))))
		return 0;
	p = realloc(*v, (n ? 2 * n : 8) * size);
	if (!p)
		return -1;
	*v = p;
	return 0;
}

static int add_line(void *arg, const char *e, const char **what)
{
	struct revoke *r = arg;
	struct allow_rule rule;
	uint64_t id;

	*what = "not a token id, CIDR or HOST:PORT";
	if (id_parse(e, &id)) {
		if (grow((void **)&r->ids, r->nids, sizeof(*r->ids)) < 0)
			return -1;
		r->ids[r->nids++] = id;
		return 0;
	}
	if (allow_parse(e, &rule) == 0)
		return allow_add(&r->dest, &rule);
	if (grow((void **)&r->names, r->nnames, sizeof(*r->names)) < 0)
		return -1;
	if (name_parse(e, &r->names[r->nnames]) < 0)
		return -1;
	r->nnames++;
	return 0;
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int revoke_load(struct revoke *r, const char *path, char *why, size_t len)
{
	memset(r, 0, sizeof(*r));
	if (lines_each(path, "--revoke-file", add_line, r, why, len) < 0) {
		revoke_free(r);
		return -1;
	}
	if (r->nids)
		qsort(r->ids, r->nids, sizeof(*r->ids), id_cmp);
	return 0;
}

void revoke_free(struct revoke *r)
{
	free(r->ids);
	free(r->names);
	allow_free(&r->dest);
	memset(r, 0, sizeof(*r));
}

int revoke_id(const struct revoke *r, uint64_t id)
{
	return r->nids &&
	       bsearch(&id, r->ids, r->nids, sizeof(*r->ids), id_cmp) != NULL;
}

int revoke_dest(const struct revoke *r, const struct token_addr *a)
{
	struct sg_caddr c = { .port = a->port };

	for (size_t i = 0; i < r->nnames; i++)
		if (!strcasecmp(r->names[i].host, a->host) &&
		    (!r->names[i].port || r->names[i].port == a->port))
			return 1;
	if (a->family == AF_INET) {
		c.family = AF_INET;
		memcpy(c.ip, &a->ip.v4, 4);
	} else if (a->family == AF_INET6) {
		c.family = AF_INET6;
		memcpy(c.ip, &a->ip.v6, 16);
	} else {
		return 0;
	}
	return revoke_caddr(r, &c);
}

int revoke_addr(const struct revoke *r, const struct sockaddr *sa)
{
	return r->dest.n && allow_match(&r->dest, sa);
}

int revoke_caddr(const struct revoke *r, const struct sg_caddr *c)
{
	return r->dest.n && allow_match_caddr(&r->dest, c);
}

void token_id_fmt(uint64_t id, char out[TOKEN_ID_TEXT])
{
	snprintf(out, TOKEN_ID_TEXT, "%016llx", (unsigned long long)id);
}
