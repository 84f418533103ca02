/* SPDX-License-Identifier: MIT */
#ifndef SG_SECRET_H
#define SG_SECRET_H

#include <stddef.h>

/* The accepted secrets; several during a rotation. */
struct secrets {
	size_t n;
	struct secret {
		char *s;
		size_t len;
	} * v;
};

/* Appends one secret (copied). Returns 0 or -1 (ENOMEM, or empty). */
int secrets_add(struct secrets *sec, const char *s, size_t len);
/* Reads one secret a line; empty lines are skipped. 0, or -1 with errno
 * (EPERM: group or others may read the file). */
int secrets_load_file(struct secrets *sec, const char *path);
/* Wipes and frees. */
void secrets_free(struct secrets *sec);

#endif
