// SPDX-License-Identifier: MIT
/* Secret storage: every copy is wiped before its memory is freed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "secret.h"

int secrets_add(struct secrets *sec, const char *s, size_t len)
{
	struct secret *v;
	char *copy;

	if (len == 0) {
		errno = EINVAL;
		return -1;
	}
	copy = malloc(len + 1);
	if (!copy)
		return -1;
	v = realloc(sec->v, (sec->n + 1) * sizeof(*v));
	if (!v) {
		free(copy);
		return -1;
	}
	memcpy(copy, s, len);
	copy[len] = '\0';
	sec->v = v;
	sec->v[sec->n].s = copy;
	sec->v[sec->n].len = len;
	sec->n++;
	return 0;
}

int secrets_load_file(struct secrets *sec, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0, saved;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		if (secrets_add(sec, line, (size_t)n) < 0) {
			ret = -1;
			break;
		}
	}
	saved = errno;
	if (line) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	if (ferror(f))
		ret = -1;
	fclose(f);
	errno = saved;
	return ret;
}

void secrets_free(struct secrets *sec)
{
	for (size_t i = 0; i < sec->n; i++) {
		OPENSSL_cleanse(sec->v[i].s, sec->v[i].len);
		free(sec->v[i].s);
	}
	free(sec->v);
	sec->v = NULL;
	sec->n = 0;
}
