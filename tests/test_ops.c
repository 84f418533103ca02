// SPDX-License-Identifier: MIT
/* Operating the gateway: flags, signals, limits, the tool, metrics. */
#include <errno.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "peers.h"

/* a test that needs longer says so */
TestSuite(ops, .timeout = 60);

#define round_trip fx_round_trip

Test(ops, one_dash_flags_and_cmdline_secret)
{
	struct fx f;
	const char *args[] = { "-secret", "argv-secret", "-retry",
			       "2",	  "-timeout",	 "1",
			       "-buffer", "32768",	 NULL };
	const char *a;
	char path[64], *cmdline;

	fx_echo(&f, NULL, args);
	a = loop_addr(f.be->port);
	/* both the file's secret and the command line's are accepted */
	cr_assert_eq(gw_dial_token(f.g.port, ossl_token("argv-secret", a, NULL),
				   NULL),
		     200);
	cr_assert_eq(gw_dial_token(f.g.port, ossl_token(TEST_SECRET, a, "md5"),
				   NULL),
		     200);
	cr_assert_eq(gw_log_count(&f.g, "command line"), 1, "warned");
	cr_assert_eq(gw_log_count(&f.g, "argv-secret"), 0, "never logged");
	snprintf(path, sizeof(path), "cat /proc/%d/cmdline | tr '\\0' ' '",
		 f.g.pid);
	cmdline = run_cmd(path, NULL);
	cr_assert(strstr(cmdline, "argv-secret") == NULL,
		  "scrubbed from /proc/PID/cmdline: %s", cmdline);
	free(cmdline);
	fx_end(&f);
}

/* A flag value that does not parse stops the gateway at once, naming
 * the flag: exit status 2, nothing started. */
Test(ops, bad_flag_values_refused)
{
	static const char *const cases[][2] = {
		{ "--promote-after", "soon" },
		{ "--promote-after", "-1" },
		{ "--timeout", "3x" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[512], want[96];
		char *out;
		int st;

		snprintf(cmd, sizeof(cmd),
			 "%s/sockgate --secret x --addr 127.0.0.1:0 %s %s 2>&1",
			 sg_build(), cases[i][0], cases[i][1]);
		out = run_cmd(cmd, &st);
		/* the flag, the value and the range it must be in */
		snprintf(want, sizeof(want), "sockgate: %s '%s': seconds from",
			 cases[i][0], cases[i][1]);
		cr_expect(out && strstr(out, want), "%s: %s", cmd,
			  out ? out : "(no output)");
		cr_expect_eq(st, 2, "%s: exit status %d", cmd, st);
		free(out);
	}
}

Test(ops, secret_rotation_file_and_env)
{
	struct echo_srv e;
	char cmd[2048], *out;
	int n, st;

	cr_assert_eq(echo_start(&e, 0), 0);
	/* env only, with sockgatectl connect as the client */
	n = snprintf(cmd, sizeof(cmd),
		     "port=$(sed -n 's/.*listening on 127.0.0.1:\\([0-9]*\\)"
		     ".*/\\1/p' log); "
		     "tok=$(SOCKGATE_SECRET=env-secret %s/sockgatectl encrypt "
		     "%s); "
		     "echo via-env | %s/sockgatectl connect 127.0.0.1:$port "
		     "$tok",
		     sg_build(), loop_addr(e.port), sg_build());
	cr_assert_lt(n, (int)sizeof(cmd), "command fits");
	out = gw_sh("SOCKGATE_SECRET=env-secret", "--workers 1", cmd,
		    "test ! -e gateway.pid", &st);
	cr_assert_eq(st, 0, "exit %d, output: %s", st, out);
	cr_assert_str_eq(out, "via-env");
	free(out);
	echo_stop(&e);
}

Test(ops, rotation_file_accepts_every_secret)
{
	static const struct {
		const char *secret, *md;
		int code;
	} cases[] = {
		{ "new-secret", NULL, 200 },
		{ "old-secret", "md5", 200 },
		{ "retired", NULL, 401 },
	};
	struct fx f;
	char file[128];
	const char *args[] = { "--secret-file", file, NULL };
	FILE *fp;

	snprintf(file, sizeof(file), "/tmp/sgrot.%d", getpid());
	fp = fopen(file, "w");
	fprintf(fp, "new-secret\n\nold-secret\r\n");
	fclose(fp);
	chmod(file, 0600);
	fx_echo(&f, NULL, args);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(gw_dial_token(f.g.port,
					   ossl_token(cases[i].secret,
						      loop_addr(f.be->port),
						      cases[i].md),
					   NULL),
			     cases[i].code, "a token of %s", cases[i].secret);
	fx_end(&f);
	unlink(file);
}

Test(ops, two_processes_share_a_port)
{
	struct fx f1, f2;
	struct gw g3;
	char port[64];
	const char *a1[] = { "-reuse", "1", NULL };
	const char *a2[] = { "-addr", port, "-reuse", "1", NULL };
	const char *a3[] = { "-addr", port, NULL };
	long long n1 = 0, n2 = 0;

	fx_echo(&f1, NULL, a1);
	snprintf(port, sizeof(port), "127.0.0.1:%u", f1.g.port);
	fx_gw(&f2, NULL, a2);
	cr_assert_eq(f2.g.port, f1.g.port);
	/* without -reuse the port is not shared */
	cr_assert_neq(gw_start(&g3, 0, a3), 0);
	cr_assert_eq(gw_log_count(&g3, "Address already in use"), 1);

	for (int i = 0; i < 40; i++) {
		round_trip(fx_dial_echo(&f1), "x");
		close(f1.fd);
	}
	f1.fd = -1;
	for (int i = 0; i < 500 && n1 + n2 < 40; i++) {
		usleep(10000);
		n1 = fx_metric(&f1, "sockgate_bytes_total{dir=\"up\"} ");
		n2 = fx_metric(&f2, "sockgate_bytes_total{dir=\"up\"} ");
	}
	/* one byte a session, counted when it ends: each ended once */
	cr_assert_eq(n1 + n2, 40, "every session ended once: %lld + %lld", n1,
		     n2);
	cr_assert_gt(n1, 0, "first process served");
	cr_assert_gt(n2, 0, "second process served");
	fx_end(&f2);
	fx_end(&f1);
}

/* A gateway (and an echo backend) with one live session; its fd. */
static int live_session(struct fx *f, const char *const *args)
{
	fx_echo(f, NULL, args);
	cr_assert_eq(access(f->g.pidfile, F_OK), 0, "pid file written");
	return fx_dial_echo(f);
}

Test(ops, sigterm_drains_live_session)
{
	struct fx f;
	struct gw *g = &f.g;
	int fd = live_session(&f, NULL), refused = 0;

	round_trip(fd, "before");
	kill(g->pid, SIGTERM);
	cr_assert_geq(gw_log_wait(g, "draining", 1, 5000), 1);
	/* new clients are refused while the live session goes on */
	for (int i = 0; i < 100 && !refused; i++) {
		int c = tcp_connect("127.0.0.1", g->port);

		refused = c < 0;
		if (c >= 0)
			close(c);
		else
			break;
		usleep(20000);
	}
	cr_assert(refused, "listener closed on SIGTERM");
	round_trip(fd, "during-drain");
	cr_assert_eq(access(g->pidfile, F_OK), 0, "pid file kept while live");
	cr_assert_eq(gw_wait(g, 300), -2, "still running with a session");
	close(fd);
	f.fd = -1;
	cr_assert_eq(gw_wait(g, 10000), 0, "exit 0 once the session ended");
	cr_assert_neq(access(g->pidfile, F_OK), 0, "pid file removed");
	fx_end(&f);
}

Test(ops, drain_timeout_bounds_the_wait)
{
	const char *args[] = { "--drain-timeout", "0.5", NULL };
	struct fx f;
	int fd = live_session(&f, args);

	kill(f.g.pid, SIGTERM);
	cr_assert_eq(gw_wait(&f.g, 10000), 0, "exit 0 after the drain timeout");
	cr_assert_eq(gw_log_count(&f.g, "drain timeout"), 2, "logged");
	cr_assert_eq(read_to_eof(fd, 5000), -1, "the session was reset");
	cr_assert_neq(access(f.g.pidfile, F_OK), 0, "pid file removed");
	fx_end(&f);
}

Test(ops, second_signal_exits_at_once)
{
	struct fx f;
	char c;
	int fd = live_session(&f, NULL);

	kill(f.g.pid, SIGTERM);
	cr_assert_geq(gw_log_wait(&f.g, "draining", 1, 5000), 1);
	kill(f.g.pid, SIGINT);
	cr_assert_eq(gw_wait(&f.g, 5000), 1, "exits at once, status 1");
	cr_assert_neq(access(f.g.pidfile, F_OK), 0, "pid file removed");
	/* a cut stream must not look complete: a reset, not EOF */
	errno = 0;
	cr_assert_eq(read(fd, &c, 1), -1, "the client's session was reset");
	cr_assert_eq(errno, ECONNRESET);
	fx_end(&f);
}

/*
 * With RLIMIT_NOFILE 32 the gateway runs out of fds: accept pauses (logged
 * once per burst), backend sockets fail with a 502, every client gets a
 * status, and once the clients are gone it serves again.
 */
Test(ops, fd_exhaustion_and_recovery, .timeout = 120)
{
	struct echo_srv e;
	struct gw g;
	const char *args[] = { "--workers", "1", "--linger-timeout", "0.2",
			       NULL };
	enum { N = 60 };
	int fds[N], codes[4] = { 0 }, open_n = N, fd;
	char *tok;
	size_t tlen;

	cr_assert_eq(echo_start(&e, 0), 0);
	cr_assert_eq(gw_start(&g, 32, args), 0);
	tok = loop_token(e.port);
	tlen = strlen(tok);
	tok[tlen] = '\n';
	for (int i = 0; i < N; i++) {
		fds[i] = tcp_connect("127.0.0.1", g.port);
		cr_assert_geq(fds[i], 0, "connect %d", i);
	}
	cr_assert_geq(gw_log_wait(&g, "pausing accepts", 1, 10000), 1,
		      "accept paused (log %s)", g.log);
	for (int i = 0; i < N; i++)
		write_all(fds[i], tok, tlen + 1);
	tok[tlen] = '\0';
	/* every client gets a status; close each once it has one */
	while (open_n > 0) {
		struct pollfd p[N];
		int r;

		for (int i = 0; i < N; i++)
			p[i] = (struct pollfd){ .fd = fds[i],
						.events = POLLIN };
		r = poll(p, N, 30000);
		cr_assert_gt(r, 0, "%d clients without a status", open_n);
		for (int i = 0; i < N; i++) {
			char code[4] = "";

			if (fds[i] < 0 || !p[i].revents)
				continue;
			cr_assert_eq(read_full(fds[i], code, 3, 5000), 3,
				     "client %d: a status", i);
			if (!strcmp(code, "200"))
				codes[0]++;
			else if (!strcmp(code, "502"))
				codes[1]++;
			else
				codes[2]++;
			close(fds[i]);
			fds[i] = -1;
			open_n--;
		}
	}
	cr_log_info("fd exhaustion: %d x 200, %d x 502, %d other", codes[0],
		    codes[1], codes[2]);
	cr_assert_eq(codes[2], 0, "only 200 or 502");
	cr_assert_gt(codes[1], 0, "some backend sockets failed: 502");
	cr_assert_geq(gw_log_count(&g, "Too many open files"), 1);
	cr_assert_eq(gw_dial_token(g.port, tok, &fd), 200, "serves again");
	round_trip(fd, "recovered");
	close(fd);
	cr_assert_geq(gw_log_wait(&g, "accepting again", 1, 5000), 1);
	cr_assert_eq(gw_stop(&g), 0);
	echo_stop(&e);
}

Test(ops, max_conns_pauses_then_resumes)
{
	struct fx f;
	const char *args[] = { "--max-conns", "2", NULL };
	struct pollfd p;
	int a, b, c;
	char *tok, line[4200];

	fx_echo(&f, NULL, args);
	tok = loop_token(f.be->port);
	a = fx_dial_echo(&f);
	b = fx_dial_echo(&f);
	f.fd = -1;
	cr_assert_eq(fx_metric(&f, "sockgate_sessions_active "), 2);
	c = tcp_connect("127.0.0.1", f.g.port);
	snprintf(line, sizeof(line), "%s\n", tok);
	write_all(c, line, strlen(line));
	p = (struct pollfd){ .fd = c, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 300), 0, "third waits in the backlog");
	cr_assert_geq(gw_log_wait(&f.g, "max-conns 2 reached", 1, 5000), 1);
	cr_assert_geq(fx_metric(&f, "sockgate_accept_pauses_total "), 1);
	close(a);
	cr_assert_eq(read_full(c, line, 3, 10000), 3);
	cr_assert(strncmp(line, "200", 3) == 0, "third served after a close");
	round_trip(c, "third");
	close(b);
	close(c);
	fx_end(&f);
}

Test(ops, metrics_endpoint_counts)
{
	struct fx f;

	fx_echo(&f, "splice", NULL);
	round_trip(fx_dial_echo(&f), "12345");
	close(f.fd);
	f.fd = -1;
	cr_assert_eq(gw_dial_token(f.g.port, "garbage", NULL), 401);
	/* a session's bytes are counted when it ends */
	cr_assert_eq(fx_metric_wait(&f, "sockgate_bytes_total{dir=\"down\"} ",
				    5, 5000),
		     5);
	cr_assert_eq(fx_metric(&f, "sockgate_bytes_total{dir=\"up\"} "), 5);
	cr_assert_eq(fx_metric(&f, "sockgate_replies_total{code=\"200\"} "), 1);
	cr_assert_eq(fx_metric(&f, "sockgate_replies_total{code=\"401\"} "), 1);
	cr_assert_eq(fx_metric(&f, "sockgate_sessions_total{mode=\"splice\"} "),
		     1);
	cr_assert_eq(fx_metric(&f, "sockgate_accepted_total "), 2);
	fx_end(&f);
}

/* sockgatectl and openssl read each other's tokens, in both digests. */
Test(ops, sockgatectl_and_openssl_interoperate)
{
	static const char *const mds[] = { "md5", "sha256" };
	char cmd[512], *tok, *plain;
	int st;

	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "%s/sockgatectl --secret '%s' --md %s encrypt "
			 "'[2001:db8::1]:443'",
			 sg_build(), TEST_SECRET, mds[i]);
		tok = run_cmd(cmd, &st);
		cr_assert_eq(st, 0);
		cr_assert(strncmp(tok, "U2FsdGVkX1", 10) == 0, "%s", tok);
		plain = ossl_decrypt(TEST_SECRET, tok, mds[i]);
		cr_assert_not_null(plain, "openssl -md %s decrypts", mds[i]);
		cr_assert_str_eq(plain, "[2001:db8::1]:443");
		free(plain);
		free(tok);

		/* openssl's token, sockgatectl decrypts (auto digest) */
		setenv("SG_TOK",
		       ossl_token(TEST_SECRET, "backend.example:7000", mds[i]),
		       1);
		snprintf(
			cmd, sizeof(cmd),
			"SOCKGATE_SECRET='%s' %s/sockgatectl decrypt \"$SG_TOK\"",
			TEST_SECRET, sg_build());
		plain = run_cmd(cmd, &st);
		cr_assert_eq(st, 0);
		cr_assert_str_eq(plain, "backend.example:7000");
		free(plain);
	}
	/* the default digest of both tools is the same (sha256) */
	snprintf(cmd, sizeof(cmd),
		 "%s/sockgatectl --secret k encrypt --legacy 10.0.0.5:7000 | "
		 "openssl enc -d -aes-256-cbc -a -A -pass pass:k 2>/dev/null",
		 sg_build());
	plain = run_cmd(cmd, &st);
	cr_assert_str_eq(plain, "10.0.0.5:7000");
	free(plain);
	/* a wrong secret fails clearly */
	snprintf(cmd, sizeof(cmd),
		 "%s/sockgatectl --secret wrong decrypt \"$SG_TOK\" 2>&1",
		 sg_build());
	plain = run_cmd(cmd, &st);
	cr_assert_eq(st, 1);
	cr_assert(strstr(plain, "does not decrypt") != NULL, "%s", plain);
	free(plain);
}

/*
 * --log-format json: every line the gateway wrote, from start-up to exit
 * (libbpf's messages, a session, a refusal), parses as one JSON object
 * (Python's json), with the documented members; a session's end carries
 * its fields. Not in the guests, which have no Python.
 */
Test(ops, log_format_json)
{
	const char *args[] = { "--log-format", "json", "--log-level", "debug",
			       NULL };
	char cmd[1024], *out, log[128], dir[96];
	struct fx f;
	int st;

	if (sg_light())
		return;
	fx_echo(&f, NULL, args);
	fx_round_trip(fx_dial_echo(&f), "json");
	close(f.fd);
	f.fd = -1;
	fx_wait_done(&f, 1);
	cr_assert_eq(gw_dial_token(f.g.port, "AgAAAAAAnotatoken", NULL), 401);
	cr_assert_geq(gw_log_wait(&f.g, "\"event\":\"session_end\"", 2, 10000),
		      2, "the refused one's end");
	snprintf(log, sizeof(log), "%s", f.g.log);
	snprintf(dir, sizeof(dir), "%s", f.g.dir);
	/* its log stays: the test reads it after the exit */
	setenv("SG_KEEP", "1", 1);
	fx_end(&f);
	unsetenv("SG_KEEP");
	snprintf(
		cmd, sizeof(cmd),
		"python3 -c 'import json, sys\n"
		"lines = [json.loads(l) for l in open(sys.argv[1])]\n"
		"need = {\"time\", \"level\", \"worker\", \"event\", \"msg\"}\n"
		"assert all(need <= set(l) for l in lines), \"members\"\n"
		"ends = [l for l in lines if l[\"event\"] == \"session_end\"]\n"
		"assert all(len(e[\"token\"]) == 16 and \"-\" in e[\"id\"] "
		"for e in ends[:1]), ends\n"
		"ok = [e for e in ends if e[\"up\"] == 4 and e[\"down\"] == 4 "
		"and e[\"reason\"] == \"done\" and e[\"client\"].startswith("
		"\"127.0.0.1:\") and e[\"path\"] != \"-\"]\n"
		"assert ok, ends\n"
		"assert any(e[\"reason\"].startswith(\"401\") for e in ends), "
		"ends\n"
		"print(len(lines), \"lines\", len(ends), \"session ends\")' %s "
		"2>&1",
		log);
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "%s (log %s)", out, log);
	cr_log_info("--log-format json: %s", out);
	free(out);
	rm_tree(dir);
}

/* Under journald (JOURNAL_STREAM names stderr): a line starts with its
 * sd-daemon(3) priority and has no time of its own, so journalctl -p
 * works; with stderr elsewhere, the usual time stamp. */
Test(ops, journald_priorities)
{
	char *out;
	int st;

	out = gw_sh("SOCKGATE_SECRET=j JOURNAL_STREAM=$(stat -c %d:%i log)",
		    "--workers 1 --log-level debug", ":",
		    "grep -c '^<6>info  \\[main\\] ready: pid' log; "
		    "grep -c '^<7>debug ' log >/dev/null && "
		    "grep -c '^<4>warn ' log >/dev/null && "
		    "! grep -v '^<[3467]>' log",
		    &st);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_str_eq(out, "1", "%s", out);
	free(out);
	/* another stream: stderr is not journald's */
	out = gw_sh("SOCKGATE_SECRET=j JOURNAL_STREAM=1:1", "--workers 1", ":",
		    "grep -c '^20[0-9-]*T.*Z info  \\[main\\] ready: pid' log",
		    &st);
	cr_assert_str_eq(out, "1", "%s", out);
	free(out);
}

/* --log-sessions off: no line for a session's end or a refusal, which
 * the metrics still count. */
Test(ops, log_sessions_off)
{
	struct fx f;

	fx_echo(&f, NULL, (const char *[]){ "--log-sessions", "off", NULL });
	fx_round_trip(fx_dial_echo(&f), "quiet");
	close(f.fd);
	f.fd = -1;
	fx_wait_done(&f, 1);
	cr_assert_eq(gw_dial_token(f.g.port, "AgAAAAAAnotatoken", NULL), 401);
	/* the refused one's end too: no session left */
	for (long end = ms_now() + 10000;
	     fx_metric(&f, "sockgate_sessions_active ") != 0 && ms_now() < end;)
		ms_sleep(20);
	cr_assert_eq(fx_metric(&f, "sockgate_sessions_active "), 0);
	cr_assert_eq(fx_metric(&f, "sockgate_replies_total{code=\"401\"} "), 1);
	/* a close line: "session CLIENT -> BACKEND path ..." */
	cr_assert_eq(gw_log_count(&f.g, " -> 127.0.0.1:"), 0, "log %s",
		     f.g.log);
	cr_assert_eq(gw_log_count(&f.g, "reply 401"), 0, "log %s", f.g.log);
	fx_end(&f);
}
