// SPDX-License-Identifier: MIT
/*
 * The flag tables (core/opt.c, daemon/conf.c, sockgatectl): every bound
 * holds with its range in the message, names match exactly, the seed's
 * one-dash forms work, and --help, the man pages and the README list
 * the same flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/conf.h"
#include "unit.h"

TestSuite(flags, .timeout = 30);

/* opt_parse on the daemon's table in a child (it exits on a refusal):
 * its exit status, and what it printed in out. */
static int parse(const char *const *args, char *out, size_t len)
{
	char *argv[16];
	int argc = 0, p[2], st;
	ssize_t n, got = 0;
	pid_t pid;

	argv[argc++] = "sockgate";
	/* writable, as a real argv: --secret's value is scrubbed */
	for (; *args && argc < 15; args++)
		argv[argc++] = strdup(*args);
	argv[argc] = NULL;
	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct conf c;
		int i = 1;

		dup2(p[1], 1);
		dup2(p[1], 2);
		memset(&c, 0, sizeof(c));
		opt_parse("sockgate", conf_opts, &c, argc, argv, &i);
		_exit(i == argc ? 0 : 3);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - (size_t)got)) > 0)
		got += n;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	for (int i = 1; i < argc; i++)
		free(argv[i]);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void fmt_bound(const struct opt *o, double v, char *buf, size_t len)
{
	if (o->kind == OPT_DURATION)
		snprintf(buf, len, "%.3f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

Test(flags, bounds_hold_with_the_range_in_the_message)
{
	int checked = 0;

	for (const struct opt *o = conf_opts; o->name; o++) {
		char flag[64], val[64], out[1024];
		const char *args[] = { flag, val, NULL };
		double lo = o->kind == OPT_DURATION ? 0.001 : 1;

		if (o->kind != OPT_INT && o->kind != OPT_LONG &&
		    o->kind != OPT_DURATION)
			continue;
		snprintf(flag, sizeof(flag), "--%s", o->name);
		fmt_bound(o, o->min, val, sizeof(val));
		cr_expect_eq(parse(args, out, sizeof(out)), 0, "%s %s: %s",
			     flag, val, out);
		fmt_bound(o, o->max, val, sizeof(val));
		cr_expect_eq(parse(args, out, sizeof(out)), 0, "%s %s: %s",
			     flag, val, out);
		fmt_bound(o, o->max + lo, val, sizeof(val));
		cr_expect_eq(parse(args, out, sizeof(out)), 2, "%s %s", flag,
			     val);
		cr_expect(strstr(out, flag) && strstr(out, "from"),
			  "%s %s: the range named: %s", flag, val, out);
		if (o->min > 0 || o->kind != OPT_DURATION) {
			fmt_bound(o, o->min - lo, val, sizeof(val));
			cr_expect_eq(parse(args, out, sizeof(out)), 2, "%s %s",
				     flag, val);
		}
		checked++;
	}
	cr_expect_geq(checked, 12, "bounded flags: %d", checked);
}

Test(flags, names_match_exactly)
{
	for (const struct opt *o = conf_opts; o->name; o++) {
		size_t n = strlen(o->name);

		/* every proper prefix that is no flag itself is unknown */
		for (size_t k = 1; k < n; k++) {
			char flag[64], out[512];
			const char *args[] = { flag, "1", NULL };
			int known = 0;

			snprintf(flag, sizeof(flag), "--%.*s", (int)k, o->name);
			for (const struct opt *q = conf_opts; q->name; q++)
				known |= strlen(q->name) == k &&
					 !strncmp(q->name, o->name, k);
			if (known)
				continue;
			cr_expect_eq(parse(args, out, sizeof(out)), 2, "%s",
				     flag);
			cr_expect(strstr(out, "unknown flag"), "%s: %s", flag,
				  out);
		}
	}
}

Test(flags, seed_one_dash_forms_and_equals)
{
	static const char *const args[] = {
		"-secret",
		"x",
		"-addr",
		"127.0.0.1:0",
		"-reuse",
		"1",
		"-retry",
		"2",
		"-timeout",
		"1.5",
		"-buffer",
		"8192",
		"-pprof=127.0.0.1:0",
		NULL,
	};
	char out[512];

	cr_expect_eq(parse(args, out, sizeof(out)), 0, "%s", out);
}

/* The flags a text lists: "--name" at the start of a line (after
 * blanks), or after ".TP\n.B? \-\-name" in a man page, or in the first
 * cell of a Markdown table row. Sorted, one a line. */
static char *flags_of(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char *buf = calloc(1, 8192);
	size_t n;

	cr_assert(f && buf);
	n = fread(buf, 1, 8191, f);
	buf[n] = '\0';
	pclose(f);
	return buf;
}

#define SORTED " | sort -u"

/* The flags a man page's OPTIONS tags (.TP or .TQ, then .B/.BI/.BR). */
static char *man_flags(const char *page)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "grep -A1 '^\\.T[PQ]' %s/dist/%s | "
		 "grep -oE '^\\.B[IR]? \\\\-\\\\-[a-z\\\\-]+' | "
		 "sed 's/^\\.B[IR]* //; s/\\\\//g'" SORTED,
		 unit_repo(), page);
	return flags_of(cmd);
}

/* The flags a --help text lists, one "  --name" a line. */
static char *help_flags(const char *cmd)
{
	char sh[1024];

	snprintf(sh, sizeof(sh),
		 "%s | grep -oE '^  --[a-z-]+' | sed 's/^ *//'" SORTED, cmd);
	return flags_of(sh);
}

Test(flags, help_man_page_and_readme_agree)
{
	char path[] = "/tmp/sg-unit-help.XXXXXX", cmd[512];
	char *help, *man, *readme;
	int fd = mkstemp(path);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	cr_assert(f, "a temporary file");
	conf_usage(f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cat %s", path);
	help = help_flags(cmd);
	unlink(path);
	man = man_flags("sockgate.8");
	snprintf(cmd, sizeof(cmd),
		 "grep -oE '^\\| `--[a-z-]+' %s/README.md | "
		 "sed 's/^| `//'" SORTED,
		 unit_repo());
	readme = flags_of(cmd);
	cr_expect_gt(strlen(help), 100, "%s", help);
	cr_expect_str_eq(man, help, "sockgate(8) lists:\n%s\n--help:\n%s", man,
			 help);
	cr_expect_str_eq(readme, help, "README lists:\n%s\n--help:\n%s", readme,
			 help);
	free(help);
	free(man);
	free(readme);
}

Test(flags, sockgatectl_help_and_man_page_agree)
{
	char cmd[512];
	char *help, *man;
	const char *b = getenv("SG_BUILD");

	snprintf(cmd, sizeof(cmd), "%s/sockgatectl --help",
		 b && *b ? b : "build");
	help = help_flags(cmd);
	man = man_flags("sockgatectl.8");
	cr_expect_gt(strlen(help), 100, "%s", help);
	cr_expect_str_eq(man, help, "sockgatectl(8) lists:\n%s\n--help:\n%s",
			 man, help);
	free(help);
	free(man);
}

Test(flags, choices_name_their_values)
{
	static const char *const ok[][2] = {
		{ "--mode", "splice" },	      { "--log-level", "debug" },
		{ "--log-level", "WARN" },    { "--proxy-protocol", "v2" },
		{ "--legacy-tokens", "off" },
	};
	static const char *const bad[][3] = {
		{ "--mode", "fast", "one of auto sockmap splice copy" },
		{ "--log-level", "loud", "one of debug info warn error" },
		{ "--proxy-protocol", "v3", "one of off v1 v2" },
	};
	char out[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *args[] = { ok[i][0], ok[i][1], NULL };

		cr_expect_eq(parse(args, out, sizeof(out)), 0, "%s %s: %s",
			     ok[i][0], ok[i][1], out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = { bad[i][0], bad[i][1], NULL };

		cr_expect_eq(parse(args, out, sizeof(out)), 2, "%s %s",
			     bad[i][0], bad[i][1]);
		cr_expect(strstr(out, bad[i][2]), "%s %s: %s", bad[i][0],
			  bad[i][1], out);
	}
}
