// SPDX-License-Identifier: MIT
/* Flags from one table: see opt.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/opt.h"

#define HELP_COL 26

/* Seconds with an optional fraction and unit (s, ms) in ns; 0 or -1. */
static int parse_duration(const char *s, uint64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0 || v > 86400.0 * 365)
		return -1;
	if (strcmp(end, "ms") == 0)
		v /= 1000;
	else if (*end && strcmp(end, "s") != 0)
		return -1;
	*ns = (uint64_t)(v * 1e9);
	return 0;
}

static const struct opt *find(const struct opt *t, const char *name, size_t len)
{
	for (; t->name; t++)
		if (strlen(t->name) == len && !strncmp(t->name, name, len))
			return t;
	return NULL;
}

/* The range in words, for a refusal. */
static void range(const struct opt *o, char *buf, size_t len)
{
	if (o->kind == OPT_DURATION)
		snprintf(buf, len, "seconds from %g to %g (or ms)", o->min,
			 o->max);
	else if (o->kind == OPT_CHOICE) {
		size_t n = (size_t)snprintf(buf, len, "one of");

		for (const char *const *c = o->choices; *c && n < len; c++)
			n += (size_t)snprintf(buf + n, len - n, " %s", *c);
	} else
		snprintf(buf, len, "a whole number from %.0f to %.0f", o->min,
			 o->max);
}

/* 0, or -1 with why filled. */
static int set(const struct opt *o, void *conf, char *val, char *why,
	       size_t whylen)
{
	char *field = (char *)conf + o->off, *end;
	uint64_t ns;
	long long v;

	switch (o->kind) {
	case OPT_STR:
		if (!*val && o->min >= 1) {
			snprintf(why, whylen, "must not be empty");
			return -1;
		}
		*(const char **)(void *)field = *val ? val : NULL;
		return 0;
	case OPT_INT:
	case OPT_LONG:
		errno = 0;
		v = strtoll(val, &end, 10);
		if (end == val || *end || errno || v < o->min || v > o->max)
			break;
		if (o->kind == OPT_INT)
			*(int *)(void *)field = (int)v;
		else
			*(long *)(void *)field = (long)v;
		return 0;
	case OPT_DURATION:
		if (parse_duration(val, &ns) < 0 || ns < o->min * 1e9 ||
		    ns > o->max * 1e9)
			break;
		*(uint64_t *)(void *)field = ns;
		return 0;
	case OPT_CHOICE:
		for (int i = 0; o->choices[i]; i++)
			if (!strcmp(val, o->choices[i])) {
				*(int *)(void *)field = i;
				return 0;
			}
		break;
	case OPT_FN:
	case OPT_NOARG:
		return o->set(conf, val, why, whylen);
	}
	range(o, why, whylen);
	return -1;
}

static void refuse(const char *prog, const struct opt *o, const char *val,
		   const char *why)
{
	fprintf(stderr, "%s: --%s '%s': %s\n", prog, o->name, val, why);
	exit(2);
}

void opt_defaults(const char *prog, const struct opt *t, void *conf)
{
	char why[256];

	for (const struct opt *o = t; o->name; o++)
		if (o->def &&
		    set(o, conf, (char *)o->def, why, sizeof(why)) < 0)
			refuse(prog, o, o->def, why); /* a table bug */
}

void opt_parse(const char *prog, const struct opt *t, void *conf, int argc,
	       char **argv, int *argi)
{
	opt_defaults(prog, t, conf);
	opt_parse_args(prog, t, conf, argc, argv, argi);
}

void opt_parse_args(const char *prog, const struct opt *t, void *conf, int argc,
		    char **argv, int *argi)
{
	char why[256];
	int i = *argi;

	for (; i < argc; i++) {
		char *a = argv[i], *name, *val;
		const struct opt *o;
		size_t len;

		if (a[0] != '-' || a[1] == '\0')
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		name = a + 1 + (a[1] == '-');
		len = strcspn(name, "=");
		o = !strcmp(a, "-h") ? find(t, "help", 4) : find(t, name, len);
		if (!o) {
			fprintf(stderr,
				"%s: unknown flag %.*s (--help lists them)\n",
				prog, (int)(name - a + len), a);
			exit(2);
		}
		if (o->kind == OPT_NOARG) {
			if (name[len] == '=')
				refuse(prog, o, name + len + 1,
				       "takes no value");
			if (o->set(conf, NULL, why, sizeof(why)) < 0)
				refuse(prog, o, "", why);
			continue;
		}
		if (name[len] == '=')
			val = name + len + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			fprintf(stderr, "%s: --%s needs a value (%s)\n", prog,
				o->name, o->arg ? o->arg : "");
			exit(2);
		}
		if (set(o, conf, val, why, sizeof(why)) < 0)
			refuse(prog, o, val, why);
	}
	*argi = i;
}

const struct opt *opt_find(const struct opt *t, const char *name)
{
	return find(t, name, strlen(name));
}

int opt_set(const struct opt *o, void *conf, char *val, char *why,
	    size_t whylen)
{
	if (o->kind == OPT_NOARG) {
		if (val && *val) {
			snprintf(why, whylen, "takes no value");
			return -1;
		}
		return o->set(conf, NULL, why, whylen);
	}
	if (!val) {
		snprintf(why, whylen, "needs a value (%s)",
			 o->arg ? o->arg : "");
		return -1;
	}
	return set(o, conf, val, why, whylen);
}

void opt_usage(FILE *f, const struct opt *t)
{
	for (const struct opt *o = t; o->name; o++) {
		const char *h = o->help;
		int n = fprintf(f, "  --%s%s%s", o->name, o->arg ? " " : "",
				o->arg ? o->arg : "");

		/* a long name gets its help on the next line */
		if (n >= HELP_COL - 1) {
			fputc('\n', f);
			n = 0;
		}
		fprintf(f, "%*s", HELP_COL - n, "");
		n = HELP_COL;
		for (; *h; h++, n++) {
			fputc(*h, f);
			if (*h == '\n') {
				fprintf(f, "%*s", HELP_COL, "");
				n = HELP_COL - 1;
			}
		}
		/* the default after the help, or below it past 79 columns */
		if (o->def) {
			int d = (int)strlen(o->def) + (*o->def ? 11 : 13);

			if (n + d > 79)
				fprintf(f, "\n%*s", HELP_COL - 1, "");
			fprintf(f, " (default %s)", *o->def ? o->def : "\"\"");
		}
		fputc('\n', f);
	}
}
