/* SPDX-License-Identifier: MIT */
#ifndef SG_OPT_H
#define SG_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Flags from one table: each entry names a flag, the field it sets
 * (offsetof in the caller's struct), its bounds, default and help. The
 * usage text, the parsing and the defaults all come from the table;
 * checks across flags stay in the caller.
 *
 * Names match exactly (no abbreviations: a new flag never changes what
 * an old command line means), with two dashes or one ("-addr", the
 * original's form), the value after a space or '='. "-h" is --help.
 */
enum opt_kind {
	OPT_STR,      /* const char *; "" sets NULL unless .min is 1 */
	OPT_INT,      /* int within [min, max] */
	OPT_LONG,     /* long within [min, max] */
	OPT_DURATION, /* uint64_t ns; seconds within [min, max], "ms" or "s" */
	OPT_CHOICE,   /* int: the index of the value in .choices */
	OPT_FN,	      /* .set parses it */
	OPT_NOARG,    /* no value: .set is called with NULL */
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;	 /* the field, offsetof(struct ..., field) */
	const char *arg; /* the value's name in the usage: "SEC" */
	const char *def; /* the default, parsed as if given; NULL: none */
	double min, max; /* numbers and durations (seconds); strings: min 1
			  * refuses an empty one */
	const char *const *choices; /* OPT_CHOICE: NULL-terminated */
	/* OPT_FN, OPT_NOARG: 0, or -1 with why filled (a range, a form);
	 * val may be overwritten (a secret scrubbed from argv) */
	int (*set)(void *conf, char *val, char *why, size_t whylen);
	const char *help; /* lines after the first start with '\n' */
};

#define OPT_END              \
	{                    \
		.name = NULL \
	}

/*
 * Applies the defaults, then argv from *argi on, up to the first word
 * that is no flag ("--" ends the flags too); *argi is left on it. On an
 * unknown flag or a bad value prints one line naming it (and the range)
 * and exits 2. prog prefixes the messages.
 */
void opt_parse(const char *prog, const struct opt *t, void *conf, int argc,
	       char **argv, int *argi);
/* The same without the defaults: flags among other words. */
void opt_parse_args(const char *prog, const struct opt *t, void *conf, int argc,
		    char **argv, int *argi);
/* Sets the defaults only. */
void opt_defaults(const char *prog, const struct opt *t, void *conf);
/* The entry named name, or NULL. */
const struct opt *opt_find(const struct opt *t, const char *name);
/* Sets one (a configuration file's line): val NULL or "" for a flag
 * without a value. 0, or -1 with why. */
int opt_set(const struct opt *o, void *conf, char *val, char *why,
	    size_t whylen);
/* One line a flag, the help aligned, the default after it. */
void opt_usage(FILE *f, const struct opt *t);

#endif
