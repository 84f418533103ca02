// SPDX-License-Identifier: MIT
/* Sessions: leftover bytes, half-close, integrity under concurrency. */
#include <errno.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "peers.h"

static char *addr_of(uint16_t port)
{
	static char a[64];

	snprintf(a, sizeof(a), "127.0.0.1:%u", port);
	return a;
}

static void start_gw(struct gw *g, const char *mode)
{
	const char *args[] = { "--mode", mode, NULL };

	cr_assert_eq(gw_start(g, 0, args), 0, "gateway --mode %s", mode);
}

static void stop_gw(struct gw *g)
{
	cr_assert_eq(gw_stop(g), 0, "gateway exit status (log %s)", g->log);
}

/* Bytes after the newline, in the same segment, reach the backend first
 * and intact; later bytes follow in order. */
static void leftover_case(const char *mode)
{
	struct echo_srv e;
	struct gw g;
	char line[8192], buf[64] = "";
	int fd, n;

	cr_assert_eq(echo_start(&e, 0), 0);
	start_gw(&g, mode);
	n = snprintf(line, sizeof(line), "%s\nfirst-bytes|",
		     ossl_token(TEST_SECRET, addr_of(e.port), NULL));
	cr_assert_eq(gw_dial(g.port, line, (size_t)n, &fd), 200);
	cr_assert_eq(write_all(fd, "then-these", 10), 10);
	cr_assert_eq(read_full(fd, buf, 22, 10000), 22);
	cr_assert_str_eq(buf, "first-bytes|then-these");
	close(fd);
	stop_gw(&g);
	echo_stop(&e);
}

Test(session, leftover_splice, .timeout = 60)
{
	leftover_case("splice");
}

Test(session, leftover_copy, .timeout = 60)
{
	leftover_case("copy");
}

Test(session, leftover_sockmap, .timeout = 60)
{
	leftover_case("sockmap");
}

/* A request that arrives with the token and a client that then waits:
 * the leftover alone must produce the answer (no more bytes follow). */
static void leftover_alone(const char *mode)
{
	struct echo_srv e;
	struct gw g;
	char line[8192], buf[16] = "";
	int fd, n;

	cr_assert_eq(echo_start(&e, 0), 0);
	start_gw(&g, mode);
	n = snprintf(line, sizeof(line), "%s\nGET",
		     ossl_token(TEST_SECRET, addr_of(e.port), NULL));
	cr_assert_eq(gw_dial(g.port, line, (size_t)n, &fd), 200);
	cr_assert_eq(read_full(fd, buf, 3, 10000), 3);
	cr_assert_str_eq(buf, "GET");
	close(fd);
	stop_gw(&g);
	echo_stop(&e);
}

Test(session, leftover_alone_gets_answer_splice, .timeout = 60)
{
	leftover_alone("splice");
}

Test(session, leftover_alone_gets_answer_sockmap, .timeout = 60)
{
	leftover_alone("sockmap");
}

/* Client half-close: it sends, shuts its write side, and still gets the
 * backend's whole reply (the echo of 4 MiB), then EOF. */
static void client_half_close(const char *mode)
{
	struct echo_srv e;
	struct gw g;
	size_t len = 4 << 20;
	char *buf = malloc(len), *back = malloc(len);
	int fd;

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)(i * 7 + (i >> 11));
	cr_assert_eq(echo_start(&e, 0), 0);
	start_gw(&g, mode);
	cr_assert_eq(
		gw_dial_token(g.port,
			      ossl_token(TEST_SECRET, addr_of(e.port), NULL),
			      &fd),
		200);
	/* echo reads while we write: no deadlock for 4 MiB through buffers
	 * as long as we also read; write from a child thread-free loop */
	if (fork() == 0) {
		write_all(fd, buf, len);
		shutdown(fd, SHUT_WR);
		_exit(0);
	}
	cr_assert_eq(read_full(fd, back, len, 30000), (ssize_t)len);
	cr_assert(memcmp(buf, back, len) == 0, "echoed bytes differ");
	cr_assert_eq(read_to_eof(fd, 10000), 0, "EOF after the reply");
	close(fd);
	stop_gw(&g);
	echo_stop(&e);
	free(buf);
	free(back);
}

Test(session, client_half_close_splice, .timeout = 60)
{
	client_half_close("splice");
}

Test(session, client_half_close_copy, .timeout = 60)
{
	client_half_close("copy");
}

Test(session, client_half_close_sockmap, .timeout = 60)
{
	client_half_close("sockmap");
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

static void backend_half_close(const char *mode)
{
	struct greeter gr = { 0 };
	struct gw g;
	static char buf[100000], msg[300000];
	int fd;

	gr.lfd = tcp_listen(0, &gr.port, 4);
	pthread_create(&gr.th, NULL, greeter_main, &gr);
	start_gw(&g, mode);
	cr_assert_eq(
		gw_dial_token(g.port,
			      ossl_token(TEST_SECRET, addr_of(gr.port), NULL),
			      &fd),
		200);
	cr_assert_eq(read_full(fd, buf, sizeof(buf), 10000), sizeof(buf));
	cr_assert_eq(read_to_eof(fd, 10000), 0, "FIN from the backend");
	memset(msg, 'm', sizeof(msg));
	cr_assert_eq(write_all(fd, msg, sizeof(msg)), sizeof(msg),
		     "the client can still send after the backend's FIN");
	shutdown(fd, SHUT_WR);
	pthread_join(gr.th, NULL);
	cr_assert_eq(gr.got, (ssize_t)sizeof(msg), "backend got %zd", gr.got);
	close(fd);
	close(gr.lfd);
	stop_gw(&g);
}

Test(session, backend_half_close_splice, .timeout = 60)
{
	backend_half_close("splice");
}

Test(session, backend_half_close_copy, .timeout = 60)
{
	backend_half_close("copy");
}

Test(session, backend_half_close_sockmap, .timeout = 60)
{
	backend_half_close("sockmap");
}

/* A client RST resets the backend side too. */
static void client_reset(const char *mode)
{
	struct greeter gr = { 0 };
	struct gw g;
	struct linger l = { 1, 0 };
	char buf[16];
	int fd, bfd;

	gr.lfd = tcp_listen(0, &gr.port, 4);
	start_gw(&g, mode);
	cr_assert_eq(
		gw_dial_token(g.port,
			      ossl_token(TEST_SECRET, addr_of(gr.port), NULL),
			      &fd),
		200);
	bfd = accept(gr.lfd, NULL, NULL);
	cr_assert_geq(bfd, 0);
	cr_assert_eq(write_all(fd, "ping", 4), 4);
	cr_assert_eq(read_full(bfd, buf, 4, 10000), 4, "forwarding");
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd); /* RST */
	errno = 0;
	cr_assert_eq(read(bfd, buf, sizeof(buf)), -1, "backend sees an error");
	cr_assert_eq(errno, ECONNRESET);
	close(bfd);
	close(gr.lfd);
	stop_gw(&g);
}

Test(session, client_reset_resets_backend_splice, .timeout = 60)
{
	client_reset("splice");
}

Test(session, client_reset_resets_backend_sockmap, .timeout = 60)
{
	client_reset("sockmap");
}

/* And a backend RST resets the client. */
static void backend_reset(const char *mode)
{
	struct linger l = { 1, 0 };
	struct gw g;
	uint16_t port;
	int lfd = tcp_listen(0, &port, 4), fd, bfd;
	char buf[16];

	start_gw(&g, mode);
	cr_assert_eq(gw_dial_token(g.port,
				   ossl_token(TEST_SECRET, addr_of(port), NULL),
				   &fd),
		     200);
	bfd = accept(lfd, NULL, NULL);
	cr_assert_geq(bfd, 0);
	cr_assert_eq(write_all(fd, "ping", 4), 4);
	cr_assert_eq(read_full(bfd, buf, 4, 10000), 4,
		     "bytes reach the backend");
	setsockopt(bfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(bfd);
	errno = 0;
	cr_assert_eq(read(fd, buf, sizeof(buf)), -1, "client sees an error");
	cr_assert_eq(errno, ECONNRESET);
	close(fd);
	close(lfd);
	stop_gw(&g);
}

Test(session, backend_reset_resets_client_splice, .timeout = 60)
{
	backend_reset("splice");
}

Test(session, backend_reset_resets_client_sockmap, .timeout = 60)
{
	backend_reset("sockmap");
}

/* FIN after a bulk upload: the backend gets exactly N bytes, then EOF,
 * and its answer still reaches the client. */
static void fin_after_upload(const char *mode)
{
	struct sink_srv k = { 0 };
	struct gw g;
	char err[160] = "";

	cr_assert_eq(sink_start(&k), 0);
	start_gw(&g, mode);
	cr_assert_eq(sink_upload(g.port, k.port, 8 << 20, err, sizeof(err)), 0,
		     "%s", err);
	stop_gw(&g);
	sink_stop(&k);
}

Test(session, fin_after_upload_splice, .timeout = 60)
{
	fin_after_upload("splice");
}

Test(session, fin_after_upload_copy, .timeout = 60)
{
	fin_after_upload("copy");
}

Test(session, fin_after_upload_sockmap, .timeout = 60)
{
	fin_after_upload("sockmap");
}

/* --- integrity -------------------------------------------------------- */

/* 100 sessions up to 64 MiB each way; light: 20 up to 8 MiB */
#define SESSIONS (sg_light() ? 20 : 100)
#define MAX_SIZE ((uint64_t)(sg_light() ? 8 : 64) << 20)

struct job {
	uint16_t port;
	const char *token;
	uint64_t seed, up, down;
	int rc;
	char err[160];
};

static void *job_main(void *arg)
{
	struct job *j = arg;

	j->rc = xfer_client(j->port, j->token, j->seed, j->up, j->down, j->err,
			    sizeof(j->err));
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
	struct gw g;
	char pprof[64], pin[128], path[160];
	/* auto: sessions move from copy to sockmap after 5 ms, most of
	 * them in the middle of their transfer */
	const char *args[] = { "--mode",	  mode,	   "--pprof", pprof,
			       "--promote-after", "0.005", NULL };
	uint16_t mport = free_port();
	uint64_t up = 0, down = 0;
	struct job *jobs = calloc(100, sizeof(*jobs));
	pthread_t th[100];
	uint64_t total = 0;
	char *token;

	cr_assert_eq(xfer_srv_start(&x), 0);
	snprintf(pprof, sizeof(pprof), "127.0.0.1:%u", mport);
	cr_assert_eq(gw_start(&g, 0, args), 0, "gateway --mode %s", mode);
	gw_pin_dir(&g, pin, sizeof(pin));
	token = strdup(ossl_token(TEST_SECRET, addr_of(x.port), NULL));
	for (int i = 0; i < SESSIONS; i++) {
		struct job *j = &jobs[i];

		j->port = g.port;
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
	cr_expect_eq(gw_log_wait(&g, ": done", SESSIONS, 5000), SESSIONS,
		     "every session ended cleanly (log %s)", g.log);
	cr_log_info("%s: %d sessions, %.1f MiB", mode, SESSIONS,
		    (double)total / (1 << 20));
	/* every session ran in this mode, and the byte counters (for
	 * sockmap: the BPF map's, read at teardown) add up to what moved */
	snprintf(path, sizeof(path), "sockgate_sessions_total{mode=\"%s\"} ",
		 mode);
	if (!strcmp(mode, "auto")) {
		long long sm = gw_metric(mport, "sockgate_promotions_total{to="
						"\"sockmap\"} "),
			  sp = gw_metric(mport, "sockgate_promotions_total{to="
						"\"splice\"} ");

		cr_expect_eq(gw_metric(mport, "sockgate_sessions_total{mode="
					      "\"copy\"} "),
			     SESSIONS, "every session starts on copy");
		cr_expect_gt(sm + sp, 0, "some sessions moved on");
		cr_expect_eq(gw_log_count(&g, "sockmap (after copy) up="), sm,
			     "the close log names the move");
		cr_expect_eq(gw_log_count(&g, "splice (after copy) up="), sp);
		cr_log_info("auto: of %d sessions %lld moved to sockmap, %lld "
			    "to splice",
			    SESSIONS, sm, sp);
	} else if (strcmp(mode, "sockmap") != 0) {
		cr_expect_eq(gw_metric(mport, path), SESSIONS);
	} else {
		/* a client that has already sent its FIN cannot join a
		 * sockmap (the kernel takes established sockets only):
		 * such a session runs on splice, and the log says so */
		long long sm = gw_metric(mport, path);
		long long sp = gw_metric(
			mport, "sockgate_sessions_total{mode=\"splice\"} ");

		cr_expect_eq(sm + sp, SESSIONS);
		cr_expect_eq(gw_log_count(&g, "sockmap cannot take a session "
					      "(Operation not supported)"),
			     sp, "every fallback for that reason");
		cr_expect_geq(sm, SESSIONS / 2, "kernel forwarded %lld", sm);
		cr_log_info("sockmap: %lld sessions in the kernel, %lld on "
			    "splice",
			    sm, sp);
	}
	cr_expect_eq(gw_metric(mport, "sockgate_bytes_total{dir=\"up\"} "),
		     (long long)up, "up bytes counted %lld, moved %llu",
		     gw_metric(mport, "sockgate_bytes_total{dir=\"up\"} "),
		     (unsigned long long)up);
	cr_expect_eq(gw_metric(mport, "sockgate_bytes_total{dir=\"down\"} "),
		     (long long)down);
	if (!strcmp(mode, "sockmap") || !strcmp(mode, "auto")) {
		/* teardown left nothing behind in the kernel maps */
		static const char *const maps[] = { "sessions", "peers",
						    "active" };

		for (int i = 0; i < 3; i++) {
			snprintf(path, sizeof(path), "%s/%s", pin, maps[i]);
			cr_expect_eq(bpftool_count(path), 0, "%s empty", path);
		}
	}
	stop_gw(&g);
	xfer_srv_stop(&x);
	free(token);
	free(jobs);
}

Test(integrity, splice_100_sessions, .timeout = 300)
{
	integrity("splice", 1);
}

Test(integrity, copy_100_sessions, .timeout = 300)
{
	integrity("copy", 2);
}

Test(integrity, sockmap_100_sessions, .timeout = 300)
{
	integrity("sockmap", 3);
}

/* copy first, then sockmap: the hand-over in mid-transfer */
Test(integrity, auto_100_sessions, .timeout = 300)
{
	integrity("auto", 4);
}

/* A small buffer forces many partial transfers and back-pressure turns. */
Test(integrity, splice_small_pipe, .timeout = 300)
{
	struct xfer_srv x;
	struct gw g;
	const char *args[] = { "--mode", "splice", "--buffer", "4096", NULL };
	char err[160] = "";

	cr_assert_eq(xfer_srv_start(&x), 0);
	cr_assert_eq(gw_start(&g, 0, args), 0);
	cr_assert_eq(xfer_client(g.port,
				 ossl_token(TEST_SECRET, addr_of(x.port), NULL),
				 7, 8 << 20, 8 << 20, err, sizeof(err)),
		     0, "%s", err);
	stop_gw(&g);
	xfer_srv_stop(&x);
}
