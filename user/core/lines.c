// SPDX-License-Identifier: MIT
/* The lines of a rules file: see core/lines.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lines.h"

int lines_each(const char *path, const char *flag,
	       int (*fn)(void *arg, const char *entry, const char **what),
	       void *arg, char *why, size_t whylen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int no = 0, ret = 0, r;

	if (!f) {
		snprintf(why, whylen, "cannot read %s %s: %s", flag, path,
			 strerror(errno));
		return -1;
	}
	/* whole lines: a long comment must never leave a tail that parses */
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *what = "not an entry";
		char *p = line, *e;

		no++;
		if (n > LINES_MAX) {
			snprintf(why, whylen, "%s %s:%d: longer than %d bytes",
				 flag, path, no, LINES_MAX);
			ret = -1;
			break;
		}
		line[strcspn(line, "#\r\n")] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (!*p)
			continue;
		if ((r = fn(arg, p, &what)) < 0) {
			/* -2: the entry is not to be repeated (a secret) */
			snprintf(why, whylen, "%s %s:%d: %s%s%.64s", flag, path,
				 no, what, r == -2 ? "" : ": ",
				 r == -2 ? "" : p);
			ret = -1;
			break;
		}
	}
	if (!ret && ferror(f)) {
		snprintf(why, whylen, "cannot read %s %s: %s", flag, path,
			 strerror(errno));
		ret = -1;
	}
	free(line);
	fclose(f);
	return ret;
}
