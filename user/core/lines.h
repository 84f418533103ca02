/* SPDX-License-Identifier: MIT */
#ifndef SG_LINES_H
#define SG_LINES_H

#include <stddef.h>

/*
 * The lines of a rules file (--allow-file, --revoke-file): '#' starts a
 * comment, blanks around an entry and blank lines are skipped, a line is
 * at most LINES_MAX bytes. fn gets each entry, NUL-terminated, and
 * returns 0, or -1 (then the read stops; -2: and the message leaves the
 * entry out, for one that holds a secret). 0, or -1 with the reason in why:
 * "FLAG PATH:LINE: ..." for a line fn refused (what it says, and the
 * entry) or one too long, or the file that cannot be read.
 */
#define LINES_MAX 4096
int lines_each(const char *path, const char *flag,
	       int (*fn)(void *arg, const char *entry, const char **what),
	       void *arg, char *why, size_t whylen);

#endif
