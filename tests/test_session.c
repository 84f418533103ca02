// SPDX-License-Identifier: MIT
/* Sessions: leftover bytes, half-close, resets, integrity under
 * concurrency; each behaviour in each mode it concerns. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peers.h"

/* a test that needs longer says so */
TestSuite(integrity, .timeout = 60);
TestSuite(session, .timeout = 60);

/* A client whose token line and first bytes come in one segment. */
static int dial_with(struct fx *f, const char *more)
{
	return fx_dial_more(f, f->be->port, more);
}

/* Bytes after the newline, in the same segment, reach the backend first
 * and intact; later bytes follow in order. */
MODE_TEST(session, leftover, M_ALL | M_V6)
{
	struct fx f;
	char buf[64] = "";
	int fd;

	fx_echo(&f, mode, NULL);
	fd = dial_with(&f, "first-bytes|");
	cr_assert_eq(write_all(fd, "then-these", 10), 10);
	cr_assert_eq(read_full(fd, buf, 22, 10000), 22);
	cr_assert_str_eq(buf, "first-bytes|then-these");
	fx_end(&f);
}

/* A request that arrives with the token and a client that then waits:
 * the leftover alone must produce the answer (no more bytes follow). */
MODE_TEST(session, leftover_alone_gets_answer, M_SPLICE | M_SOCKMAP)
{
	struct fx f;
	char buf[16] = "";

	fx_echo(&f, mode, NULL);
	cr_assert_eq(read_full(dial_with(&f, "GET"), buf, 3, 10000), 3);
	cr_assert_str_eq(buf, "GET");
	fx_end(&f);
}

/* Client half-close: it sends, shuts its write side, and still gets the
 * backend's whole reply (the echo of 4 MiB), then EOF. */
MODE_TEST(session, client_half_close, M_ALL | M_V6)
{
	struct fx f;
	size_t len = 4 << 20;
	char *buf = malloc(len), *back = malloc(len);
	int fd;

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + (i >> 11));
	fx_echo(&f, mode, NULL);
	fd = fx_dial_echo(&f);
	/* echo reads while we write: a child writes, we read */
	if (fork() == 0) {
		write_all(fd, buf, len);
		shutdown(fd, SHUT_WR);
		_exit(0);
	}
	cr_assert_eq(read_full(fd, back, len, 30000), (ssize_t)len);
	cr_assert(memcmp(buf, back, len) == 0, "echoed bytes differ");
	cr_assert_eq(read_to_eof(fd, 10000), 0, "EOF after the reply");
	fx_wait_done(&f, 1);
	fx_end(&f);
	free(buf);
	free(back);
}

/* Backend half-close: it greets, shuts its write side and keeps reading.
 * The client gets the greeting and EOF, then sends; the backend gets it. */
struct greeter {
	int lfd;
	uint16_t port;
	pthread_t th;
	ssize_t got;
};

static void *greeter_main(void *arg)
{
	struct greeter *gr = arg;
	static char greeting[100000];
	int fd = accept(gr->lfd, NULL, NULL);

	memset(greeting, 'g', sizeof(greeting));
	write_all(fd, greeting, sizeof(greeting));
	shutdown(fd, SHUT_WR);
	gr->got = read_to_eof(fd, 20000);
	close(fd);
	return NULL;
}

MODE_TEST(session, backend_half_close, M_ALL | M_V6)
{
	struct greeter gr = { 0 };
	struct fx f;
	static char buf[100000], msg[300000];
	int fd;

	gr.lfd = tcp_listen(fx_v6, &gr.port, 4);
	pthread_create(&gr.th, NULL, greeter_main, &gr);
	fx_gw(&f, mode, NULL);
	fd = fx_dial(&f, gr.port);
	cr_assert_eq(read_full(fd, buf, sizeof(buf), 10000), sizeof(buf));
	cr_assert_eq(read_to_eof(fd, 10000), 0, "FIN from the backend");
	memset(msg, 'm', sizeof(msg));
	cr_assert_eq(write_all(fd, msg, sizeof(msg)), sizeof(msg),
		     "the client can still send after the backend's FIN");
	shutdown(fd, SHUT_WR);
	pthread_join(gr.th, NULL);
	cr_assert_eq(gr.got, (ssize_t)sizeof(msg), "backend got %zd", gr.got);
	close(gr.lfd);
	fx_end(&f);
}

/*
 * An RST on one side resets the other: the client's (rst_client) or the
 * backend's. "ping" goes through first, so the session forwards.
 */
static void reset_case(const char *mode, int rst_client)
{
	struct linger l = { 1, 0 };
	struct fx f;
	uint16_t port;
	int lfd = tcp_listen(0, &port, 4), fd, bfd, other;
	char buf[16];

	fx_gw(&f, mode, NULL);
	fd = fx_dial(&f, port);
	bfd = accept(lfd, NULL, NULL);
	cr_assert_geq(bfd, 0);
	cr_assert_eq(write_all(fd, "ping", 4), 4);
	cr_assert_eq(read_full(bfd, buf, 4, 10000), 4, "forwarding");
	setsockopt(rst_client ? fd : bfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(rst_client ? fd : bfd); /* RST */
	other = rst_client ? bfd : fd;
	errno = 0;
	cr_assert_eq(read(other, buf, sizeof(buf)), -1, "%s sees an error",
		     rst_client ? "backend" : "client");
	cr_assert_eq(errno, ECONNRESET);
	cr_assert_eq(fx_metric_wait(&f, "sockgate_resets_total ", 1, 5000), 1);
	close(other);
	f.fd = -1;
	close(lfd);
	fx_end(&f);
}

MODE_TEST(session, client_reset_resets_backend, M_SPLICE | M_SOCKMAP)
{
	reset_case(mode, 1);
}

MODE_TEST(session, backend_reset_resets_client, M_SPLICE | M_SOCKMAP)
{
	reset_case(mode, 0);
}

/* FIN after a bulk upload: the backend gets exactly N bytes, then EOF,
 * and its answer still reaches the client. */
MODE_TEST(session, fin_after_upload, M_ALL)
{
	struct sink_srv k = { 0 };
	struct fx f;
	char err[160] = "";

	cr_assert_eq(sink_start(&k), 0);
	fx_gw(&f, mode, NULL);
	cr_assert_eq(sink_upload(f.g.port, k.port, 8 << 20, 0, err,
				 sizeof(err)),
		     0, "%s", err);
	fx_wait_done(&f, 1);
	/* every stage change is logged at debug level, once */
	cr_assert_eq(gw_log_count(&f.g, ": connect -> flush"), 1, "log %s",
		     f.g.log);
	fx_end(&f);
	sink_stop(&k);
}

/* --- integrity -------------------------------------------------------- */

/* 100 sessions up to 64 MiB each way; light: 20 up to 8 MiB */
#define SESSIONS (sg_light() ? 20 : 100)
#define MAX_SIZE ((uint64_t)(sg_light() ? 8 : 64) << 20)

struct job {
	uint16_t port;
	const char *token;
	uint64_t seed, up, down;
	const struct fx *hold_for; /* held until a session moved to sockmap */
	int rc;
	char err[160];
};

/* A held session stays quiet, open both ways, until the gateway reports
 * a move to sockmap: so at least one happens, however fast the rest. */
static int hold_for_promotion(void *arg, char *err, size_t errlen)
{
	if (fx_metric_wait(arg, "sockgate_promotions_total{to=\"sockmap\"} ", 1,
			   60000) >= 1)
		return 0;
	snprintf(err, errlen,
		 "a session quiet past --promote-after never moved to "
		 "sockmap");
	return -1;
}

static void *job_main(void *arg)
{
	struct job *j = arg;

	j->rc = xfer_client_held(j->port, j->token, j->seed, j->up, j->down,
				 j->hold_for ? hold_for_promotion : NULL,
				 (void *)j->hold_for, j->err, sizeof(j->err));
	return NULL;
}

/* log-uniform up to 64 MiB: most sessions small, a few large */
static uint64_t pick_size(unsigned *rs)
{
	unsigned bits = (unsigned)rand_r(rs) % (sg_light() ? 24 : 27);

	return ((uint64_t)1 << bits) +
	       (uint64_t)rand_r(rs) % ((uint64_t)1 << bits);
}

static void integrity(const char *mode, unsigned seed)
{
	struct xfer_srv x;
	struct fx f;
	char path[160];
	/* auto: sessions move from copy to sockmap after 5 ms, most of
	 * them in the middle of their transfer: every one that lasts, not
	 * only streams (--promote-rate 0), so that the moves are many
	 * (episodes::mixed_load_auto checks the default rule's) */
	const char *args[] = { "--promote-after", "0.005", "--promote-rate",
			       "0", NULL };
	uint64_t up = 0, down = 0;
	struct job *jobs = calloc(100, sizeof(*jobs));
	pthread_t th[100];
	uint64_t total = 0;
	char *token;

	cr_assert_eq(xfer_srv_start(&x), 0);
	fx_gw(&f, mode, args);
	token = strdup(loop_token(x.port));
	for (int i = 0; i < SESSIONS; i++) {
		struct job *j = &jobs[i];

		j->port = f.g.port;
		j->token = token;
		j->seed = (uint64_t)seed * 1000 + (uint64_t)i * 2;
		j->up = pick_size(&seed);
		j->down = pick_size(&seed);
		if (j->up > MAX_SIZE)
			j->up = MAX_SIZE;
		if (j->down > MAX_SIZE)
			j->down = MAX_SIZE;
	}
	jobs[0].up = MAX_SIZE; /* the largest size, each way, at least once */
	jobs[1].down = MAX_SIZE;
	jobs[2].up = 0; /* and empty directions */
	jobs[3].down = 0;
	if (!strcmp(mode, "auto"))
		jobs[4].hold_for = &f; /* and one that moves for sure */
	for (int i = 0; i < SESSIONS; i++) {
		total += jobs[i].up + jobs[i].down;
		up += jobs[i].up + 24; /* and the header */
		down += jobs[i].down;
		pthread_create(&th[i], NULL, job_main, &jobs[i]);
	}
	for (int i = 0; i < SESSIONS; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(jobs[i].rc, 0,
			     "session %d (up %llu, down %llu): %s", i,
			     (unsigned long long)jobs[i].up,
			     (unsigned long long)jobs[i].down, jobs[i].err);
	}
	/* the backend checked the other direction */
	for (int i = 0;
	     i < 500 && atomic_load(&x.ok) + atomic_load(&x.bad) < SESSIONS;
	     i++)
		usleep(10000);
	cr_expect_eq(atomic_load(&x.ok), SESSIONS, "backend verified %d",
		     atomic_load(&x.ok));
	cr_expect_eq(atomic_load(&x.bad), 0, "backend: %s", x.last_bad);
	/* every session ended cleanly */
	fx_wait_done(&f, SESSIONS);
	cr_log_info("%s: %d sessions, %.1f MiB", mode, SESSIONS,
		    (double)total / (1 << 20));
	/* every session ran in this mode, and the byte counters (for
	 * sockmap: the BPF map's, read at teardown) add up to what moved */
	snprintf(path, sizeof(path), "sockgate_sessions_total{mode=\"%s\"} ",
		 mode);
	if (!strcmp(mode, "auto")) {
		long long sm = fx_metric(&f, "sockgate_promotions_total{to="
					     "\"sockmap\"} "),
			  sp = fx_metric(&f, "sockgate_promotions_total{to="
					     "\"splice\"} ");

		cr_expect_eq(fx_metric(&f, "sockgate_sessions_total{mode="
					   "\"copy\"} "),
			     SESSIONS, "every session starts on copy");
		/* the held one, at least, and others as the timing goes */
		cr_expect_gt(sm, 0, "some sessions moved on");
		cr_expect_eq(gw_log_count(&f.g, "sockmap (after copy) up="), sm,
			     "the close log names the move");
		cr_expect_eq(gw_log_count(&f.g, "splice (after copy) up="), sp);
		cr_log_info("auto: of %d sessions %lld moved to sockmap, %lld "
			    "to splice",
			    SESSIONS, sm, sp);
	} else if (strcmp(mode, "sockmap") != 0) {
		cr_expect_eq(fx_metric(&f, path), SESSIONS);
	} else {
		/* a client that has already sent its FIN cannot join a
		 * sockmap (the kernel takes established sockets only):
		 * such a session runs on splice, and the log says so */
		long long sm = fx_metric(&f, path);
		long long sp = fx_metric(
			&f, "sockgate_sessions_total{mode=\"splice\"} ");

		cr_expect_eq(sm + sp, SESSIONS);
		cr_expect_eq(gw_log_count(&f.g, "sockmap cannot take a session "
						"(Operation not supported)"),
			     sp, "every fallback for that reason");
		/* most, on a real machine; an emulated one is slow enough for
		 * more clients to finish sending first */
		cr_expect_geq(sm, sg_light() ? SESSIONS / 4 : SESSIONS / 2,
			      "kernel forwarded %lld", sm);
		cr_log_info("sockmap: %lld sessions in the kernel, %lld on "
			    "splice",
			    sm, sp);
	}
	cr_expect_eq(fx_metric(&f, "sockgate_bytes_total{dir=\"up\"} "),
		     (long long)up, "up bytes counted %lld, moved %llu",
		     fx_metric(&f, "sockgate_bytes_total{dir=\"up\"} "),
		     (unsigned long long)up);
	cr_expect_eq(fx_metric(&f, "sockgate_bytes_total{dir=\"down\"} "),
		     (long long)down);
	/* teardown left nothing behind in the kernel maps */
	if (!strcmp(mode, "sockmap") || !strcmp(mode, "auto"))
		fx_maps_empty(&f);
	fx_end(&f);
	xfer_srv_stop(&x);
	free(token);
	free(jobs);
}

/* Each mode; auto starts on copy and moves in mid-transfer. */
MODE_TEST(integrity, sessions_100, M_ALL | M_AUTO, .timeout = 300)
{
	/* each mode its own sizes (the seeds the suite has always used) */
	static const char *const seeds[] = { "", "splice", "copy", "sockmap",
					     "auto" };
	unsigned seed = 0;

	while (strcmp(seeds[seed], mode) != 0)
		seed++;
	integrity(mode, seed);
}

/* A small buffer forces many partial transfers and back-pressure turns. */
Test(integrity, splice_small_pipe, .timeout = 300)
{
	struct xfer_srv x;
	struct fx f;
	const char *args[] = { "--buffer", "4096", NULL };
	char err[160] = "";

	cr_assert_eq(xfer_srv_start(&x), 0);
	fx_gw(&f, "splice", args);
	cr_assert_eq(xfer_client(f.g.port, loop_token(x.port), 7, 8 << 20,
				 8 << 20, err, sizeof(err)),
		     0, "%s", err);
	fx_end(&f);
	xfer_srv_stop(&x);
}
