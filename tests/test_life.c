// SPDX-License-Identifier: MIT
/*
 * A gateway's life: peers that vanish (keepalive), sessions that go quiet
 * (--idle-timeout), SIGHUP, a restart beside the old process, the pid
 * file, the second signal, and logs that stay readable under load.
 */
#include <errno.h>
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
TestSuite(life, .timeout = 60);

/* user/session/hslog.h: failures a second logged one by one */
#define HSLOG_BURST_TEST 20

/* ------------------------------------------------------- keepalive -- */

/* A backend in the gateway's namespace: it records how its one session
 * ended. */
struct ka_case {
	struct netpair net;
	int lfd, cfd;
	uint16_t port, gw_port;
	pthread_t th;
	atomic_int got, ended;
	long ended_ms;
	ssize_t last; /* the read that ended it: 0 EOF, -1 an error */
};

static int ka_listen(void *arg)
{
	struct ka_case *k = arg;

	k->lfd = tcp_listen(0, &k->port, 4);
	return k->lfd < 0 ? -1 : 0;
}

static int ka_connect(void *arg)
{
	struct ka_case *k = arg;

	k->cfd = tcp_connect(NETPAIR_GW_IP, k->gw_port);
	return k->cfd < 0 ? -1 : 0;
}

static void *ka_backend(void *arg)
{
	struct ka_case *k = arg;
	int fd = accept(k->lfd, NULL, NULL);
	char buf[256];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		atomic_fetch_add(&k->got, (int)n);
	k->last = n;
	k->ended_ms = ms_now();
	atomic_store(&k->ended, 1);
	close(fd);
	return NULL;
}

/*
 * The client's link goes down after the handshake: no FIN, no RST, no
 * answer to anything. With --keepalive 1,1,2 the gateway's probes find
 * it dead in about 3 s, it ends the session, and the backend is told.
 */
MODE_TEST(life, keepalive_finds_vanished_client, M_ALL, .timeout = 90)
{
	static const char *const wrap_fmt[] = { "/usr/bin/ip", "netns", "exec",
						NULL, NULL };
	const char *wrap[5];
	const char *args[] = { "--addr", NETPAIR_GW_IP ":0", "--mode",
			       mode,	 "--keepalive",	     "1,1,2",
			       NULL };
	struct ka_case k = { .lfd = -1, .cfd = -1 };
	char line[4200], code[4] = "";
	struct gw g;
	long cut_ms;
	int n;

	cr_assert_eq(netpair_create(&k.net), 0,
		     "two network namespaces and a veth pair (ip netns)");
	memcpy(wrap, wrap_fmt, sizeof(wrap));
	wrap[3] = k.net.gw;
	cr_assert_eq(in_netns(k.net.gw, ka_listen, &k), 0);
	pthread_create(&k.th, NULL, ka_backend, &k);
	cr_assert_eq(gw_start_wrapped(&g, 0, wrap, args), 0,
		     "gateway in the namespace (log %s)", g.log);
	k.gw_port = g.port;
	cr_assert_eq(in_netns(k.net.cl, ka_connect, &k), 0,
		     "the client reaches the gateway over the veth pair");
	n = snprintf(line, sizeof(line), "%s\nhi", loop_token(k.port));
	cr_assert_eq(write_all(k.cfd, line, (size_t)n), n);
	cr_assert_eq(read_full(k.cfd, code, 3, 10000), 3);
	cr_assert_str_eq(code, "200");
	for (int i = 0; i < 500 && atomic_load(&k.got) < 2; i++)
		usleep(10000);
	cr_assert_eq(atomic_load(&k.got), 2, "forwarding");

	cr_assert_eq(netpair_cut(&k.net), 0);
	cut_ms = ms_now();
	/* --keepalive 1,1,2 finds it in about 3 s; the default (60,10,6)
	 * would take two minutes, past this bound */
	for (long end = cut_ms + 60000;
	     !atomic_load(&k.ended) && ms_now() < end;)
		usleep(10000);
	cr_assert(atomic_load(&k.ended),
		  "the backend's side ended after the client vanished, within "
		  "60 s (log %s)",
		  g.log);
	cr_log_info("%s: the vanished client found in %ld ms", mode,
		    k.ended_ms - cut_ms);
	cr_assert_geq(gw_log_wait(&g, "Connection timed out", 1, 5000), 1,
		      "the reason: the probes went unanswered (log %s)", g.log);
	cr_assert_eq(gw_stop(&g), 0, "log %s", g.log);
	pthread_join(k.th, NULL);
	close(k.cfd);
	close(k.lfd);
	netpair_destroy(&k.net);
}

/*
 * The sockets carry the options: SO_KEEPALIVE and the three timers. The
 * client's from the listener; the backend's at the start in a fixed
 * mode, and in mode auto at the first promotion check (a session shorter
 * than that never pays for them).
 */
static void keepalive_on_both(const char *mode)
{
	const char *args[] = { "--keepalive", "7,3,4", NULL };
	struct fx f;
	char cmd[256], *out;
	int st;

	fx_echo(&f, mode, args);
	fx_round_trip(fx_dial_echo(&f), "x");
	/* ss shows the keepalive timer of the gateway's two sockets (once
	 * the last byte is acknowledged: until then the retransmit timer) */
	snprintf(cmd, sizeof(cmd),
		 "ss -tnoH state established '( sport = :%u or dport = :%u )' "
		 "| grep -c 'timer:(keepalive,[67]'",
		 f.g.port, f.be->port);
	out = run_cmd(cmd, &st);
	for (int i = 0; i < 500 && strcmp(out, "2") != 0; i++) {
		free(out);
		usleep(20000);
		out = run_cmd(cmd, &st);
	}
	cr_assert_str_eq(out, "2",
			 "--mode %s: the client's and the backend's socket: %s",
			 mode, run_cmd("ss -tno state established", NULL));
	free(out);
	fx_end(&f);
}

Test(life, keepalive_options_on_both_sockets)
{
	keepalive_on_both("splice");
	keepalive_on_both("auto");
}

Test(life, keepalive_values_checked)
{
	static const char *const bad[] = { "1,0,2", "1,1", "x", "1,1,200",
					   "-1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cmd[256], *out;
		int st;

		snprintf(cmd, sizeof(cmd),
			 "%s/sockgate --secret x --addr 127.0.0.1:0 "
			 "--keepalive '%s' 2>&1",
			 sg_build(), bad[i]);
		out = run_cmd(cmd, &st);
		cr_expect_eq(st, 2, "--keepalive %s: exit %d", bad[i], st);
		cr_expect(strstr(out, "sockgate: --keepalive '"), "%s", out);
		free(out);
	}
}

/* ---------------------------------------------------- idle timeout -- */

/*
 * Two sessions: one goes quiet, one sends a byte every 300 ms. With
 * --idle-timeout 1 the quiet one is closed with FIN (its client reads
 * EOF), counted; the chatty one goes on. The chatty one chats until the
 * quiet one's end has come (30 s at most).
 */
MODE_TEST(life, idle_timeout_closes_quiet_sessions, M_ALL | M_AUTO)
{
	const char *args[] = { "--idle-timeout", "1", NULL };
	struct fx f;
	char c;
	int quiet, chatty;
	long t0;

	fx_echo(&f, mode, args);
	quiet = fx_dial_echo(&f);
	chatty = fx_dial_echo(&f);
	f.fd = -1;
	fx_round_trip(quiet, "q");
	t0 = ms_now();
	for (struct pollfd p = { .fd = quiet, .events = POLLIN };
	     poll(&p, 1, 0) == 0 && ms_now() - t0 < 30000;) {
		fx_round_trip(chatty, "c");
		usleep(300000); /* the chatty one's pace */
	}
	cr_assert_eq(read_full(quiet, &c, 1, 100), 0, "EOF, not a reset");
	cr_assert_geq(ms_now() - t0, 1000, "not before --idle-timeout");
	cr_assert_eq(fx_metric(&f, "sockgate_idle_closed_total "), 1, "log %s",
		     f.g.log);
	cr_assert_eq(fx_metric(&f, "sockgate_resets_total "), 0);
	cr_assert_geq(gw_log_count(&f.g, ": idle for 1.0 s"), 1);
	fx_round_trip(chatty, "still here");
	cr_log_info("%s: idle session closed, the chatty one alive %ld ms on",
		    mode, ms_now() - t0);
	close(quiet);
	close(chatty);
	fx_end(&f);
}

/* -------------------------------------------------- max session age -- */

/*
 * --max-session-age 2: a session that keeps talking is ended all the
 * same once it is two seconds old: with FIN when nothing was in flight,
 * else RST (bytes the gateway held would be lost), counted and logged
 * either way; one opened a second after it is still served then.
 */
MODE_TEST(life, max_session_age_ends_busy_sessions, M_ALL | M_AUTO)
{
	const char *args[] = { "--max-session-age", "2", NULL };
	struct fx f;
	char buf[4];
	int old, young = -1;
	long t0;

	fx_echo(&f, mode, args);
	old = fx_dial_echo(&f);
	f.fd = -1;
	t0 = ms_now();
	/* busy until the gateway ends it: a send or the echo fails */
	for (;;) {
		cr_assert_lt(ms_now() - t0, 30000, "never ended");
		if (send(old, "busy", 4, MSG_NOSIGNAL) != 4 ||
		    read_full(old, buf, 4, 10000) != 4)
			break;
		if (young < 0 && ms_now() - t0 > 1000) {
			young = fx_dial_echo(&f);
			f.fd = -1;
		}
		usleep(100000); /* the busy one's pace */
	}
	cr_assert_geq(ms_now() - t0, 2000, "not before --max-session-age");
	cr_assert_eq(fx_metric_wait(&f, "sockgate_age_closed_total ", 1, 10000),
		     1, "log %s", f.g.log);
	cr_assert_geq(
		gw_log_count(&f.g, ": older than --max-session-age 2.0 s"), 1);
	cr_assert_geq(young, 0);
	fx_round_trip(young, "younger");
	close(old);
	close(young);
	fx_end(&f);
}

/* ------------------------------------------------------ drain spread -- */

/*
 * --drain-spread 3 with 300 live sessions: SIGTERM ends them with FIN
 * (each client reads EOF) one after another over the spread, not at one
 * instant: the spread of the EOFs' times is asserted, then the exit.
 */
Test(life, drain_spread_ends_sessions_gradually, .timeout = 120)
{
	enum { N = 300 };
	const char *args[] = { "--drain-spread", "3", NULL };
	static int fd[N];
	static long when[N];
	long first = 0, last = 0;
	int left = N;
	struct fx f;

	fx_echo(&f, NULL, args);
	for (int i = 0; i < N; i++) {
		fd[i] = fx_dial_echo(&f);
		when[i] = 0;
	}
	f.fd = -1;
	fx_round_trip(fd[N - 1], "last");
	kill(f.g.pid, SIGTERM);
	for (long end = ms_now() + 60000; left && ms_now() < end;) {
		for (int i = 0; i < N; i++) {
			struct pollfd p = { .fd = fd[i], .events = POLLIN };
			char c;

			if (when[i] || poll(&p, 1, 0) != 1)
				continue;
			cr_assert_eq(read(fd[i], &c, 1), 0, "EOF, not a reset");
			when[i] = ms_now();
			first = first ? first : when[i];
			last = when[i];
			left--;
		}
		usleep(5000); /* the poll's pace */
	}
	cr_assert_eq(left, 0, "%d sessions never ended", left);
	cr_assert_eq(gw_wait(&f.g, 30000), 0, "the drain ends, exit 0");
	/* evenly over 3 s: one instant would be a few milliseconds */
	cr_assert_geq(last - first, 1500, "the ends spread over %ld ms",
		      last - first);
	cr_assert_geq(gw_log_count(&f.g, ": drained (--drain-spread)"), N);
	cr_log_info("--drain-spread 3: %d ends over %ld ms", N, last - first);
	for (int i = 0; i < N; i++)
		close(fd[i]);
	f.g.pid = 0;
	fx_end(&f);
}

/* ----------------------------------------------------------- SIGHUP -- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0600);
}

static int dial_secret(const struct fx *f, const char *secret)
{
	return gw_dial_token(f->g.port,
			     ossl_token(secret, loop_addr(f->be->port), NULL),
			     NULL);
}

/*
 * SIGHUP with a live session: the session goes on, a secret added to the
 * file works, one removed does not; a file that cannot be read, or holds
 * nothing, keeps the secrets loaded and says so.
 */
MODE_TEST(life, sighup_reloads_the_secret_file, M_ALL | M_AUTO)
{
	char file[128];
	const char *args[] = { "--secret-file", file, NULL };
	struct fx f;
	int live;

	snprintf(file, sizeof(file), "/tmp/sghup.%d.%s", getpid(), mode);
	write_file(file, "first\n");
	fx_echo(&f, mode, args);
	cr_assert_eq(dial_secret(&f, "second"), 401);
	f.fd = gw_dial_token(f.g.port,
			     ossl_token("first", loop_addr(f.be->port), NULL),
			     &live) == 200 ?
		       live :
		       -1;
	cr_assert_geq(f.fd, 0);
	fx_round_trip(live, "before");

	write_file(file, "second\n\nthird\n");
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, "reload: 2 secrets loaded", 1, 5000), 1,
		     "log %s", f.g.log);
	cr_assert_eq(fx_metric(&f, "sockgate_reloads_total{result=\"ok\"} "),
		     1);
	fx_round_trip(live, "after the reload");
	cr_assert_eq(dial_secret(&f, "second"), 200);
	cr_assert_eq(dial_secret(&f, "third"), 200);
	cr_assert_eq(dial_secret(&f, "first"), 401, "removed from the file");
	cr_assert_eq(gw_log_count(&f.g, "second"), 0, "no secret is logged");

	write_file(file, "\n\n");
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g,
				 "holds no secret; the 2 secrets loaded "
				 "before stay",
				 1, 5000),
		     1, "log %s", f.g.log);
	unlink(file);
	kill(f.g.pid, SIGHUP);
	cr_assert_eq(gw_log_wait(&f.g, "cannot read --secret-file", 1, 5000),
		     1);
	cr_assert_eq(
		fx_metric(&f, "sockgate_reloads_total{result=\"failed\"} "), 2);
	cr_assert_eq(dial_secret(&f, "second"), 200, "the old ones stay");
	fx_round_trip(live, "still");
	fx_end(&f);
}

/* --------------------------------------------------------- restart -- */

/* Clients in a loop: connect, handshake, echo, close; failures counted. */
struct load {
	uint16_t port;
	const char *token;
	atomic_int stop, ok, failed;
	char last_err[128];
};

static void *load_main(void *arg)
{
	struct load *l = arg;

	while (!atomic_load(&l->stop)) {
		char buf[4] = "";
		int fd = -1;
		int code = gw_dial_token(l->port, l->token, &fd);

		if (code == 200 && write_all(fd, "x", 1) == 1 &&
		    read_full(fd, buf, 1, 10000) == 1 && buf[0] == 'x') {
			atomic_fetch_add(&l->ok, 1);
		} else {
			snprintf(l->last_err, sizeof(l->last_err),
				 "status %d, errno %s", code, strerror(errno));
			atomic_fetch_add(&l->failed, 1);
		}
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/*
 * The upgrade procedure: a new process starts beside the old one on the
 * same port (--reuse 1), the old one gets SIGTERM. Clients keep coming
 * the whole time, and none is refused or reset: those in the old
 * process's accept queues move to the new one.
 */
Test(life, restart_drops_nobody, .timeout = 120)
{
	enum { THREADS = 4 };
	const char *a1[] = { "-reuse", "1", NULL };
	char port[32];
	const char *a2[] = { "-reuse", "1", "-addr", port, NULL };
	struct fx f1, f2;
	struct load l = { 0 };
	pthread_t th[THREADS];
	int want = sg_light() ? 1000 : 4000;

	fx_echo(&f1, NULL, a1);
	l.port = f1.g.port;
	l.token = strdup(loop_token(f1.be->port));
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, load_main, &l);
	while (atomic_load(&l.ok) < want / 4)
		usleep(10000);
	snprintf(port, sizeof(port), "127.0.0.1:%u", f1.g.port);
	fx_gw(&f2, NULL, a2);
	while (atomic_load(&l.ok) < want / 2)
		usleep(10000);
	kill(f1.g.pid, SIGTERM);
	cr_assert_eq(gw_wait(&f1.g, 30000), 0, "the old process drained");
	while (atomic_load(&l.ok) < want)
		usleep(10000);
	atomic_store(&l.stop, 1);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	cr_log_info("restart: %d sessions, %d failed; %lld moved between "
		    "listeners",
		    atomic_load(&l.ok), atomic_load(&l.failed),
		    fx_metric(&f2, "sockgate_listener_migrations_total "));
	cr_assert_eq(atomic_load(&l.failed), 0, "%d failed, the last: %s",
		     atomic_load(&l.failed), l.last_err);
	cr_assert_gt(fx_metric(&f2, "sockgate_accepted_total "), 0,
		     "the new process served");
	cr_assert_eq(gw_log_count(&f1.g, "restarts move waiting clients"), 1,
		     "with the migration program (log %s)", f1.g.log);
	fx_end(&f2);
	fx_end(&f1);
	free((char *)l.token);
}

/* -------------------------------------------------------- pid file -- */

/*
 * Two processes, one pid file: the second does not take it from the
 * live first, stopping the second leaves it, and once the first is gone
 * the second writes it.
 */
Test(life, pid_file_belongs_to_one_process)
{
	char path[128], port[32];
	const char *a1[] = { "-reuse", "1", "--pidfile", path, NULL };
	const char *a2[] = { "-reuse", "1",  "--pidfile", path,
			     "-addr",  port, NULL };
	struct gw g1, g2;

	snprintf(path, sizeof(path), "/tmp/sgpid.%d", getpid());
	unlink(path);
	cr_assert_eq(gw_start(&g1, 0, a1), 0);
	cr_assert_eq(pid_in(path), g1.pid);
	snprintf(port, sizeof(port), "127.0.0.1:%u", g1.port);
	cr_assert_eq(gw_start(&g2, 0, a2), 0);
	cr_assert_eq(pid_in(path), g1.pid, "not taken from a live process");
	cr_assert_eq(gw_log_count(&g2, "belongs to running process"), 1);
	cr_assert_eq(gw_stop(&g2), 0);
	cr_assert_eq(pid_in(path), g1.pid, "not removed by the other");

	cr_assert_eq(gw_start(&g2, 0, a2), 0);
	cr_assert_eq(gw_stop(&g1), 0);
	for (int i = 0; i < 300 && pid_in(path) != g2.pid; i++)
		usleep(10000);
	cr_assert_eq(pid_in(path), g2.pid, "written once the holder is gone");
	cr_assert_eq(gw_stop(&g2), 0);
	cr_assert_eq(access(path, F_OK), -1, "removed by its owner");

	/* a stale file (its process gone) is replaced at once */
	FILE *f = fopen(path, "w");

	fputs("999999\n", f);
	fclose(f);
	cr_assert_eq(gw_start(&g1, 0, a1), 0);
	cr_assert_eq(pid_in(path), g1.pid);
	cr_assert_eq(gw_stop(&g1), 0);
}

/* ----------------------------------------------- logs under load -- */

static void *one_session(void *arg)
{
	struct load *l = arg;
	char buf[4] = "";
	int fd = -1;

	if (gw_dial_token(l->port, l->token, &fd) == 200 &&
	    write_all(fd, "x", 1) == 1 && read_full(fd, buf, 1, 20000) == 1)
		atomic_fetch_add(&l->ok, 1);
	else
		atomic_fetch_add(&l->failed, 1);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Waits until the listener on port has n connections queued (ss); the
 * count seen. */
static int accept_queue_wait(uint16_t port, int n, int timeout_ms)
{
	char cmd[128], *out;
	int q = -1;

	snprintf(cmd, sizeof(cmd),
		 "ss -Hltn 'sport = :%u' | awk '{ print $2; exit }'", port);
	for (long end = ms_now() + timeout_ms; ms_now() < end; ms_sleep(20)) {
		out = run_cmd(cmd, NULL);
		q = atoi(out);
		free(out);
		if (q >= n)
			break;
	}
	return q;
}

/*
 * --max-conns 2 and 30 clients waiting: slots free one at a time, and
 * each freed slot used to log a pause and a resume. A burst is one line
 * when it starts and one when it is over, however many pauses it has.
 */
Test(life, max_conns_logs_once_per_burst, .timeout = 90)
{
	enum { N = 30 };
	const char *args[] = { "--max-conns", "2", "--workers", "1", NULL };
	struct fx f;
	struct load l = { 0 };
	pthread_t th[N];
	int a, b;

	fx_echo(&f, NULL, args);
	a = fx_dial_echo(&f);
	b = fx_dial_echo(&f);
	f.fd = -1;
	l.port = f.g.port;
	l.token = loop_token(f.be->port);
	for (int i = 0; i < N; i++)
		pthread_create(&th[i], NULL, one_session, &l);
	/* every one of them waits in the accept queue (ss: Recv-Q of the
	 * listener) before the two slots free */
	cr_assert_eq(accept_queue_wait(f.g.port, N, 30000), N,
		     "%d clients queued", N);
	close(a);
	close(b);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(atomic_load(&l.ok), N, "every waiting client served");
	cr_assert_geq(gw_log_wait(&f.g, "accepting again", 1, 5000), 1);
	cr_assert_geq(fx_metric(&f, "sockgate_accept_pauses_total "), 5,
		      "paused again and again");
	cr_assert_eq(gw_log_count(&f.g, "max-conns 2 reached"), 1, "log %s",
		     f.g.log);
	cr_assert_eq(gw_log_count(&f.g, "accepting again"), 1);
	fx_end(&f);
}

/*
 * 300 bad tokens at once: the first ones of the second are logged one by
 * one, the rest summed up in a line, and every one is counted.
 */
Test(life, handshake_failures_summed_up)
{
	enum { N = 300 };
	const char *args[] = { "--workers", "1", NULL };
	struct fx f;
	int n;

	fx_gw(&f, NULL, args);
	for (int i = 0; i < N; i++)
		cr_assert_eq(gw_dial_token(f.g.port, "garbage", NULL), 401);
	cr_assert_eq(fx_metric(&f, "sockgate_replies_total{code=\"401\"} "), N);
	cr_assert_geq(gw_log_wait(&f.g,
				  "401 token did not decrypt to an "
				  "address x",
				  1, 5000),
		      1, "a summary line (log %s)", f.g.log);
	n = gw_log_count(&f.g, "reply 401");
	cr_log_info("%d of %d failures logged one by one", n, N);
	cr_assert_lt(n, N / 2, "not every one (log %s)", f.g.log);
	cr_assert_geq(n, HSLOG_BURST_TEST, "the first ones are");
	fx_end(&f);
}

/* ------------------------------------------------------- start-up -- */

/*
 * Start-up checks what it can before it changes anything: a bad --pprof
 * or --user is a bad flag value (exit 2), a port in use fails before the
 * BPF program is loaded (exit 1); none of them leaves pins or a pid file.
 */
Test(life, startup_fails_before_changing_anything)
{
	static const struct {
		const char *args, *says;
		int status;
	} cases[] = {
		{ "--pprof nonsense", "not HOST:PORT (a port from 0", 2 },
		{ "--user nosuchuser", "no such user", 2 },
		{ "--addr 127.0.0.1:99999", "from 0 to 65535", 2 },
		{ "--pprof 127.0.0.1:70000", "from 0 to 65535", 2 },
		{ "--addr 127.0.0.1:", "not HOST:PORT (a numeric address", 2 },
		{ "--addr 127.0.0.1:$busy", "cannot listen on", 1 },
		{ "--pprof 127.0.0.1:$busy", "cannot serve --pprof", 1 },
	};
	int lfd;
	uint16_t busy;

	lfd = tcp_listen(0, &busy, 1);
	cr_assert_geq(lfd, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[1024], *out;
		int st;

		/* prints the exit status, then what outlived the process */
		snprintf(cmd, sizeof(cmd),
			 "d=$(mktemp -d); cd $d; busy=%u; "
			 "%s/sockgate --secret x --mode sockmap --addr "
			 "127.0.0.1:0 %s 2>log & pid=$!; wait $pid; "
			 "echo \"exit $?\"; grep -c '%s' log; "
			 "ls -d /sys/fs/bpf/sockgate/$pid gateway.pid "
			 "2>/dev/null; cd /; rm -rf $d",
			 busy, sg_build(), cases[i].args, cases[i].says);
		out = run_cmd(cmd, &st);
		snprintf(cmd, sizeof(cmd), "exit %d\n1", cases[i].status);
		cr_expect_str_eq(out, cmd,
				 "%s: exit status, message, and "
				 "nothing left behind: %s",
				 cases[i].args, out);
		free(out);
	}
	close(lfd);
}
