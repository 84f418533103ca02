// SPDX-License-Identifier: MIT
/*
 * --config PATH: keys as the long flags, the command line winning, bad
 * files refused with the line named, SIGHUP applying what can change
 * live and naming what waits for a restart.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peers.h"

TestSuite(config, .timeout = 60);

#define MAX_CONNS "sockgate_max_conns "

static const char *write_conf(const char *text, int mode)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/sgconf.%d", getpid());
	f = fopen(path, "w");
	cr_assert(f, "%s", strerror(errno));
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
	return path;
}

/* build/sockgate with the file and more args: its exit status and what
 * it printed */
static char *start_with(const char *path, const char *more, int *st)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "timeout 10 %s/sockgate --addr 127.0.0.1:0 --config %s %s "
		 "2>&1",
		 sg_build(), path, more);
	return run_cmd(cmd, st);
}

/* A token for the echo backend under secret s (version 2, by sockgatectl) */
static char *token_under(const char *s, uint16_t port)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s/sockgatectl --secret '%s' encrypt %s",
		 sg_build(), s, loop_addr(port));
	return run_cmd(cmd, NULL);
}

/* The file's keys apply, the command line's win, and a secret may live
 * in a private file. */
Test(config, keys_and_the_command_line_winning)
{
	struct fx f, g;
	const char *path = write_conf("# sockgate.conf\n"
				      "max-conns 77      # sessions at once\n"
				      "max-handshakes 50\n"
				      "allow 127.0.0.0/8\n"
				      "allow [::1]/128\n"
				      "secret from the config file\n"
				      "\n"
				      "legacy-tokens off\n",
				      0600);
	char *tok;

	fx_echo(&f, NULL, (const char *[]){ "--config", path, NULL });
	cr_assert_eq(fx_metric(&f, MAX_CONNS), 77, "log %s", f.g.log);
	tok = token_under("from the config file", f.be->port);
	cr_assert_eq(gw_dial_token(f.g.port, tok, NULL), 200,
		     "the file's secret");
	free(tok);
	cr_assert_eq(gw_dial_token(f.g.port, loop_token(f.be->port), NULL), 401,
		     "legacy-tokens off, from the file");
	fx_end(&f);

	fx_echo(&g, NULL,
		(const char *[]){ "--config", path, "--max-conns", "88",
				  "--legacy-tokens=on", NULL });
	cr_assert_eq(fx_metric(&g, MAX_CONNS), 88, "the command line wins");
	cr_assert_eq(gw_dial_token(g.g.port, loop_token(g.be->port), NULL),
		     200);
	fx_end(&g);
	unlink(path);
}

/* Bad files: refused at start (exit 2), the line named, a secret never
 * repeated in the message. */
Test(config, bad_files_refused_with_the_line)
{
	static const struct {
		const char *text;
		int mode;
		const char *want;
	} bad[] = {
		{ "max-conns 5\nbogus 1\n", 0600, ":2: unknown key bogus" },
		{ "max-conns lots\n", 0600, ":1: max-conns: a whole number" },
		{ "max-conns 5\nmax-conns 6\n", 0600,
		  ":2: max-conns given twice" },
		{ "secret hunter2\n", 0644,
		  "holds a secret and others may read" },
		{ "config /etc/other\n", 0600, ":1: unknown key config" },
		{ "allow-plain yes\n", 0600,
		  ":1: allow-plain: takes no value" },
	};
	char *out;
	int st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = write_conf(bad[i].text, bad[i].mode);

		out = start_with(path, "--secret-file /nonexistent", &st);
		cr_expect_eq(st, 2, "case %zu: %s", i, out);
		cr_expect(strstr(out, bad[i].want), "case %zu: %s", i, out);
		cr_expect_null(strstr(out, "hunter2"), "the secret repeated");
		free(out);
		unlink(path);
	}
	out = start_with("/nonexistent/sockgate.conf", "", &st);
	cr_assert_eq(st, 2, "%s", out);
	cr_assert(strstr(out, "cannot read --config /nonexistent"), "%s", out);
	free(out);
}

/* SIGHUP: a live key applies, a secret rotates, a restart key is named
 * and waits; a bad line or a missing file keeps everything. */
Test(config, reload_applies_live_keys_and_names_the_rest)
{
	struct fx f;
	const char *path = write_conf("max-conns 77\nsecret first one\n", 0600);
	char *a, *b;

	fx_echo(&f, NULL, (const char *[]){ "--config", path, NULL });
	a = token_under("first one", f.be->port);
	b = token_under("second one", f.be->port);
	cr_assert_eq(gw_dial_token(f.g.port, a, NULL), 200);
	cr_assert_eq(gw_dial_token(f.g.port, b, NULL), 401);

	write_conf("max-conns 55\nsecret second one\nidle-timeout 30\n", 0600);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(fx_metric_wait(&f,
				    "sockgate_reloads_total{result=\"ok\"} ", 1,
				    10000),
		     1, "log %s", f.g.log);
	cr_assert_eq(fx_metric(&f, MAX_CONNS), 55, "max-conns is live");
	cr_assert_eq(gw_dial_token(f.g.port, b, NULL), 200, "the new secret");
	cr_assert_eq(gw_dial_token(f.g.port, a, NULL), 401, "the old one gone");
	cr_assert_eq(gw_log_count(&f.g,
				  "reload: idle-timeout changed in --config"),
		     1, "a restart key is named (log %s)", f.g.log);

	write_conf("max-conns 33\nsecret third one\nnonsense here\n", 0600);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(
		fx_metric_wait(&f, "sockgate_reloads_total{result=\"failed\"} ",
			       1, 10000),
		1);
	cr_assert_geq(gw_log_wait(&f.g, ":3: unknown key nonsense", 1, 5000),
		      1);
	cr_assert_eq(fx_metric(&f, MAX_CONNS), 55, "nothing changed");
	cr_assert_eq(gw_dial_token(f.g.port, b, NULL), 200);

	unlink(path);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(
		fx_metric_wait(&f, "sockgate_reloads_total{result=\"failed\"} ",
			       2, 10000),
		2, "a missing file fails the reload");
	cr_assert_eq(gw_dial_token(f.g.port, b, NULL), 200, "and keeps all");
	free(a);
	free(b);
	fx_end(&f);
}
