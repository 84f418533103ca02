// SPDX-License-Identifier: MIT
/*
 * Congestion episodes (include/sockmap_bpf.h, struct sg_flow): a reader
 * that stalls sends a sockmap direction through user space, and the
 * verdict takes it back once the gateway has caught up. Every mode runs
 * the same transfers; for sockmap the pinned maps, read with bpftool,
 * show where the bytes went.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peers.h"

/* a test that needs longer says so */
TestSuite(episodes, .timeout = 60);

/* --------------------------------------------- the maps, with bpftool -- */

/* One direction's counters: the source socket's entry and its flow. */
struct dir_counts {
	long long kernel;  /* sg_sock.bytes: redirected by the verdict */
	long long written; /* sg_flow.written: copied by the gateway */
	long long passed, done;
	long long congested, episodes, resumed;
};

/* The value of "name": N after *p, or -1. */
static long long json_num(const char *p, const char *name)
{
	char key[64];
	const char *q;

	snprintf(key, sizeof(key), "\"%s\":", name);
	q = strstr(p, key);
	return q ? strtoll(q + strlen(key), NULL, 10) : -1;
}

/*
 * Reads, with the real bpftool, the counters of the one live session's
 * socket of `role` (1 client, 2 backend) from f's pinned maps. 0 or -1.
 */
static int dir_counts_get(const struct fx *f, int role, struct dir_counts *c)
{
	const char *dir = f->pin;
	char cmd[512], want[32], *out, *p;
	long long slot = -1;
	int st;

	snprintf(cmd, sizeof(cmd), "bpftool -j map dump pinned %s/sessions",
		 dir);
	out = run_cmd(cmd, &st);
	snprintf(want, sizeof(want), "\"role\":%d,", role);
	for (p = out; st == 0 && (p = strstr(p, "\"formatted\":")); p++) {
		char *end = strstr(p + 1, "\"formatted\":");

		if (end)
			*end = '\0';
		if (strstr(p, want)) {
			c->kernel = json_num(p, "bytes");
			slot = json_num(p, "slot");
			break;
		}
		if (end)
			*end = '"';
	}
	free(out);
	if (slot < 0)
		return -1;
	snprintf(
		cmd, sizeof(cmd),
		"bpftool -j map lookup pinned %s/flows key %lld %lld %lld %lld",
		dir, slot & 255, (slot >> 8) & 255, (slot >> 16) & 255,
		(slot >> 24) & 255);
	out = run_cmd(cmd, &st);
	if (st != 0 || !(p = strstr(out, "\"formatted\":"))) {
		free(out);
		return -1;
	}
	c->written = json_num(p, "written");
	c->passed = json_num(p, "passed");
	c->done = json_num(p, "done");
	c->congested = json_num(p, "congested");
	c->episodes = json_num(p, "episodes");
	c->resumed = json_num(p, "resumed");
	free(out);
	return 0;
}

/* ------------------------------------------ a transfer with stalls -- */

/*
 * `total` bytes from a writer to a reader through the gateway, up (client
 * to backend) or down. The reader stalls `stalls` times, each until the
 * writer is blocked: every buffer on the way is full. In sockmap mode
 * that takes an episode (redirected bytes never close a window), so there
 * the stall also waits for the verdict's `congested` in the maps. No
 * stall rests on the machine's speed: each waits for the state itself,
 * up to STALL_BOUND_MS, and says which part never came. SHA-256 at both
 * ends.
 */
#define STALL_BOUND_MS 120000

struct xfer {
	int wfd, rfd;
	uint64_t total;
	int stalls;
	const struct fx *sm; /* sockmap: its gateway, for the maps */
	int role;	     /* the writer's socket at the gateway */
	_Atomic uint64_t sent, got;
	atomic_int blocked; /* the writer waits for its socket to drain */
	unsigned char sha_w[32], sha_r[32];
	int werr, rerr;
	char why[192]; /* a stall whose state never came */
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* All of buf to a non-blocking fd; x->blocked while the socket is full. */
static int send_blocking(struct xfer *x, const uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = x->wfd, .events = POLLOUT };

	while (len) {
		ssize_t n = send(x->wfd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			return -1;
		atomic_store(&x->blocked, 1);
		n = poll(&p, 1, -1);
		atomic_store(&x->blocked, 0);
		if (n < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

static void *xfer_writer(void *arg)
{
	struct xfer *x = arg;
	static _Thread_local uint64_t buf[8192];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t seed = 0x9e3779b97f4a7c15ull, off = 0;

	fcntl(x->wfd, F_SETFL, fcntl(x->wfd, F_GETFL) | O_NONBLOCK);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (off < x->total) {
		size_t len = sizeof(buf);

		if (len > x->total - off)
			len = (size_t)(x->total - off);
		for (size_t i = 0; i < sizeof(buf) / 8; i++)
			buf[i] = xorshift(&seed);
		EVP_DigestUpdate(md, buf, len);
		if (send_blocking(x, (uint8_t *)buf, len) < 0) {
			x->werr = errno ? errno : EIO;
			break;
		}
		off += len;
		atomic_store(&x->sent, off);
	}
	fcntl(x->wfd, F_SETFL, fcntl(x->wfd, F_GETFL) & ~O_NONBLOCK);
	EVP_DigestFinal_ex(md, x->sha_w, NULL);
	EVP_MD_CTX_free(md);
	return NULL;
}

/*
 * Until the writer is blocked (and, for sockmap, an episode is on) or has
 * sent everything. 0, or -1 with x->why set.
 */
static int stall(struct xfer *x)
{
	long end = ms_now() + STALL_BOUND_MS;
	struct dir_counts c = { .congested = -1 };

	while (atomic_load(&x->sent) < x->total) {
		if (atomic_load(&x->blocked)) {
			if (!x->sm)
				return 0;
			if (dir_counts_get(x->sm, x->role, &c) == 0 &&
			    c.congested)
				return 0;
		}
		if (ms_now() > end) {
			snprintf(x->why, sizeof(x->why),
				 "in %d s of the reader's stall: writer %s "
				 "after %llu bytes, episode %s (congested "
				 "%lld, episodes %lld)",
				 STALL_BOUND_MS / 1000,
				 atomic_load(&x->blocked) ? "blocked" :
							    "never blocked",
				 (unsigned long long)atomic_load(&x->sent),
				 c.congested > 0 ? "on" : "never on",
				 c.congested, c.episodes);
			return -1;
		}
		usleep(atomic_load(&x->blocked) ? 20000 : 2000);
	}
	return 0;
}

static void *xfer_reader(void *arg)
{
	struct xfer *x = arg;
	static _Thread_local uint8_t buf[1 << 16];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t part = x->total / (uint64_t)(x->stalls + 1), next = part;
	uint64_t off = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (off < x->total) {
		size_t want = sizeof(buf);
		ssize_t n;

		if (x->stalls && off >= next) {
			if (stall(x) < 0) {
				x->rerr = ETIMEDOUT;
				break;
			}
			next += part;
		}
		if (want > x->total - off)
			want = (size_t)(x->total - off);
		n = read(x->rfd, buf, want);
		if (n <= 0) {
			x->rerr = n == 0 ? EPIPE : errno;
			break;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
		atomic_store(&x->got, off);
	}
	EVP_DigestFinal_ex(md, x->sha_r, NULL);
	EVP_MD_CTX_free(md);
	return NULL;
}

/* A gateway in mode and a session through it to a fresh listener: *cfd
 * the client, *bfd the backend's accepted socket. */
static void session_pair(struct fx *f, const char *mode, int *cfd, int *bfd)
{
	uint16_t port;
	int lfd = tcp_listen(0, &port, 4);

	cr_assert_geq(lfd, 0);
	fx_gw(f, mode, NULL);
	*cfd = fx_dial(f, port);
	f->fd = -1; /* the test closes it */
	*bfd = accept(lfd, NULL, NULL);
	cr_assert_geq(*bfd, 0);
	close(lfd);
}

static uint64_t xfer_total(void)
{
	return 256ull << 20;
}

/*
 * The case: 256 MiB, the reader stalling 20 times. For sockmap,
 * then a 4 KiB tail: the verdict ends the episode with it (the gateway
 * has caught up), so it goes through the kernel, and the maps show both
 * paths and the episode's end.
 */
static void stalled_reader(const char *mode, int up)
{
	struct xfer x = { .total = xfer_total(), .stalls = 20 };
	struct dir_counts before, after;
	pthread_t tw, tr;
	struct fx f;
	int cfd, bfd, sm = !strcmp(mode, "sockmap");
	char tail[4096], back[4096];
	const char *dir = up ? "up" : "down";

	session_pair(&f, mode, &cfd, &bfd);
	x.wfd = up ? cfd : bfd;
	x.rfd = up ? bfd : cfd;
	x.sm = sm ? &f : NULL;
	x.role = up ? 1 : 2;
	pthread_create(&tw, NULL, xfer_writer, &x);
	pthread_create(&tr, NULL, xfer_reader, &x);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	cr_assert_eq(x.werr, 0, "%s %s: write: %s", mode, dir,
		     strerror(x.werr));
	cr_assert_eq(x.rerr, 0, "%s %s: read after %llu bytes: %s", mode, dir,
		     (unsigned long long)atomic_load(&x.got),
		     x.why[0] ? x.why : strerror(x.rerr));
	cr_assert_eq(atomic_load(&x.got), x.total, "%s %s", mode, dir);
	cr_assert_arr_eq(x.sha_w, x.sha_r, 32, "%s %s: SHA-256 differs", mode,
			 dir);
	if (sm) {
		int role = x.role;

		cr_assert_eq(dir_counts_get(&f, role, &before), 0);
		cr_log_info("%s %s: kernel %lld, user %lld bytes, %lld "
			    "episodes, %lld ended",
			    mode, dir, before.kernel, before.written,
			    before.episodes, before.resumed);
		cr_assert_gt(before.kernel, 0, "bytes through the kernel");
		cr_assert_gt(before.written, 0, "bytes through user space");
		cr_assert_geq(before.episodes, 1);
		cr_assert_eq(before.kernel + before.written, (long long)x.total,
			     "every byte on one path");
		memset(tail, 't', sizeof(tail));
		cr_assert_eq(write_all(x.wfd, tail, sizeof(tail)),
			     (ssize_t)sizeof(tail));
		cr_assert_eq(read_full(x.rfd, back, sizeof(back), 10000),
			     (ssize_t)sizeof(back));
		cr_assert_arr_eq(back, tail, sizeof(tail));
		cr_assert_eq(dir_counts_get(&f, role, &after), 0);
		cr_assert_eq(after.congested, 0, "back on the kernel path");
		cr_assert_eq(after.resumed, after.episodes,
			     "every episode ended");
		cr_assert_eq(after.kernel - before.kernel,
			     (long long)sizeof(tail), "the tail: the kernel's");
		cr_assert_eq(after.written, before.written);
		cr_assert_eq(after.done, after.passed);
	}
	shutdown(cfd, SHUT_WR);
	cr_assert_eq(read_to_eof(bfd, 10000), 0, "EOF at the backend");
	close(bfd);
	cr_assert_eq(read_to_eof(cfd, 10000), 0, "EOF at the client");
	close(cfd);
	fx_wait_done(&f, 1);
	fx_end(&f);
}

/* every mode, both ways: up (the backend stalls) and down (the client) */
MODE_TEST(episodes, stalled_backend, M_ALL | M_AUTO, .timeout = 180)
{
	stalled_reader(mode, 1);
}

MODE_TEST(episodes, stalled_client, M_ALL | M_AUTO, .timeout = 180)
{
	stalled_reader(mode, 0);
}

/* ------------------------------------------ endings during an episode -- */

/*
 * The client writes until the stalled backend's buffers are full and the
 * verdict has started an episode (stall()). Returns the bytes the client
 * got out.
 */
static uint64_t fill_until_stuck(struct fx *f, struct xfer *x, pthread_t *tw)
{
	x->sm = f;
	x->role = 1;
	pthread_create(tw, NULL, xfer_writer, x);
	cr_assert_eq(stall(x), 0, "%s", x->why);
	return atomic_load(&x->sent);
}

/* Until the client socket's flow is congested: an episode is on. */
static void wait_episode(const struct fx *f)
{
	struct dir_counts c = { 0 };
	long end = ms_now() + STALL_BOUND_MS;

	while (ms_now() < end) {
		if (dir_counts_get(f, 1, &c) == 0 && c.congested)
			return;
		usleep(20000);
	}
	cr_assert_fail("no episode within %d s: kernel %lld, user %lld",
		       STALL_BOUND_MS / 1000, c.kernel, c.written);
}

/* An RST from one side in an episode resets the other; nothing leaks. */
static void reset_in_episode(int client_resets)
{
	struct xfer x = { .total = 4ull << 30 };
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	static uint8_t buf[1 << 16];
	pthread_t tw;
	struct fx f;
	int cfd, bfd;
	ssize_t n;

	session_pair(&f, "sockmap", &cfd, &bfd);
	x.wfd = cfd;
	fill_until_stuck(&f, &x, &tw);
	if (client_resets) {
		setsockopt(cfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		shutdown(cfd, SHUT_RDWR); /* the writer's send fails */
		pthread_join(tw, NULL);
		close(cfd);
		/* the backend reads what came, then the reset */
		while ((n = read(bfd, buf, sizeof(buf))) > 0)
			;
		cr_assert_eq(n, -1, "the backend sees a reset, not EOF");
		cr_assert_eq(errno, ECONNRESET);
		close(bfd);
	} else {
		setsockopt(bfd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		close(bfd);
		pthread_join(tw, NULL); /* its send fails */
		cr_assert_neq(x.werr, 0, "the client's write fails");
		close(cfd);
	}
	/* the session ended with a reset: counted, and its entries went */
	cr_assert_eq(fx_metric_wait(&f, "sockgate_resets_total ", 1, 10000), 1,
		     "log %s", f.g.log);
	cr_assert_eq(fx_map_count(&f, "sessions"), 0,
		     "the session's entries went");
	fx_end(&f);
}

Test(episodes, client_reset_in_episode, .timeout = 120)
{
	reset_in_episode(1);
}

Test(episodes, backend_reset_in_episode, .timeout = 120)
{
	reset_in_episode(0);
}

/*
 * FIN in an episode: the client's last bytes and its FIN come while the
 * gateway copies; the backend gets all of them, then EOF, and can still
 * answer through the other direction.
 */
Test(episodes, fin_in_episode, .timeout = 120)
{
	struct xfer x = { .total = 160ull << 20 };
	pthread_t tw, tr;
	struct fx f;
	int cfd, bfd;
	char reply[8] = "";

	session_pair(&f, "sockmap", &cfd, &bfd);
	x.wfd = cfd;
	x.rfd = bfd;
	fill_until_stuck(&f, &x, &tw);
	pthread_create(&tr, NULL, xfer_reader, &x);
	pthread_join(tw, NULL);
	shutdown(cfd, SHUT_WR);
	pthread_join(tr, NULL);
	cr_assert_eq(atomic_load(&x.got), x.total);
	cr_assert_arr_eq(x.sha_w, x.sha_r, 32, "SHA-256 differs");
	cr_assert_eq(read_to_eof(bfd, 10000), 0, "EOF after the last byte");
	cr_assert_eq(write_all(bfd, "ok", 2), 2);
	shutdown(bfd, SHUT_WR);
	cr_assert_eq(read_full(cfd, reply, 2, 10000), 2);
	cr_assert_str_eq(reply, "ok");
	cr_assert_eq(read_to_eof(cfd, 10000), 0);
	close(cfd);
	close(bfd);
	fx_wait_done(&f, 1);
	cr_assert_geq(fx_metric(&f, "sockgate_sockmap_episodes_total{event="
				    "\"start\"} "),
		      1);
	fx_end(&f);
}

/*
 * A retransmitted repeat in an episode (the test hook makes the verdict
 * take N bytes of the first skb it sees once the copy has started for
 * repeats): exactly those N bytes are left out, at one place, and every
 * other byte arrives once and in order.
 */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off % 251);
}

struct pat_writer {
	int fd;
	uint64_t total;
	_Atomic uint64_t sent;
};

static void *pat_write(void *arg)
{
	struct pat_writer *p = arg;
	static uint8_t buf[1 << 16];
	uint64_t off = 0;

	while (off < p->total) {
		size_t len = sizeof(buf);

		if (len > p->total - off)
			len = (size_t)(p->total - off);
		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(off + i);
		if (write_all(p->fd, buf, len) != (ssize_t)len)
			break;
		off += len;
		atomic_store(&p->sent, off);
	}
	shutdown(p->fd, SHUT_WR);
	return NULL;
}

Test(episodes, repeat_in_episode, .timeout = 120)
{
	enum { N = 4096 };
	struct pat_writer p = { .total = 192ull << 20 };
	static uint8_t buf[1 << 16];
	uint64_t off = 0, gap_at = UINT64_MAX, shift = 0;
	pthread_t tw;
	struct fx f;
	int bfd, bad = 0;
	ssize_t n;

	setenv("SOCKGATE_TEST_REPEAT_EPISODE", "4096", 1);
	session_pair(&f, "sockmap", &p.fd, &bfd);
	unsetenv("SOCKGATE_TEST_REPEAT_EPISODE");
	pthread_create(&tw, NULL, pat_write, &p);
	/* the backend reads only once the verdict has started an episode */
	wait_episode(&f);
	while ((n = read(bfd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n && !bad; i++) {
			uint64_t o = off + (uint64_t)i;

			if (buf[i] == pattern(o + shift))
				continue;
			if (gap_at == UINT64_MAX && buf[i] == pattern(o + N)) {
				gap_at = o;
				shift = N;
				continue;
			}
			bad = 1;
			cr_log_error("byte %llu: %u, want %u (gap at %llu)",
				     (unsigned long long)o, buf[i],
				     pattern(o + shift),
				     (unsigned long long)gap_at);
		}
		off += (uint64_t)n;
	}
	pthread_join(tw, NULL);
	cr_assert_eq(bad, 0);
	cr_assert_eq(
		off, p.total - N,
		"all but the %d repeated bytes: got %llu of %llu, gap at %lld "
		"(log %s)",
		N, (unsigned long long)off, (unsigned long long)p.total,
		gap_at == UINT64_MAX ? -1LL : (long long)gap_at, f.g.log);
	cr_assert_neq(gap_at, UINT64_MAX);
	cr_log_info("the repeat was left out at byte %llu",
		    (unsigned long long)gap_at);
	shutdown(bfd, SHUT_WR);
	cr_assert_eq(read_to_eof(p.fd, 10000), 0);
	close(p.fd);
	close(bfd);
	fx_wait_done(&f, 1);
	cr_assert_eq(fx_metric(&f, "sockgate_sockmap_repeat_bytes_total "), N,
		     "the repeat, counted (log %s)", f.g.log);
	fx_end(&f);
}

/* ------------------------------------------------------- mixed load -- */

/*
 * n small messages each way, of 1 to 300 bytes, each read whole and
 * compared at the other end: a game's chatter.
 */
static void chatter(int cfd, int bfd, int n, unsigned *seq)
{
	uint8_t out[300], in[300];

	for (int i = 0; i < n; i++, (*seq)++) {
		size_t len = 1 + (*seq * 37u) % sizeof(out);

		for (int way = 0; way < 2; way++) {
			int from = way ? bfd : cfd, to = way ? cfd : bfd;

			for (size_t k = 0; k < len; k++)
				out[k] = (uint8_t)(*seq * 7u + k +
						   (unsigned)way);
			cr_assert_eq(write_all(from, out, len), (ssize_t)len);
			cr_assert_eq(read_full(to, in, len, 10000),
				     (ssize_t)len, "chatter message %u, %s",
				     *seq, way ? "down" : "up");
			cr_assert_arr_eq(in, out, len, "chatter message %u",
					 *seq);
		}
	}
}

/* A stream of total bytes one way, the reader stalling `stalls` times
 * (in sockmap, each until an episode is on: sm); SHA-256 compared. */
static void bulk(const struct fx *sm, int cfd, int bfd, int up, uint64_t total,
		 int stalls)
{
	struct xfer x = { .total = total, .stalls = stalls };
	pthread_t tw, tr;

	x.wfd = up ? cfd : bfd;
	x.rfd = up ? bfd : cfd;
	x.sm = sm;
	x.role = up ? 1 : 2;
	pthread_create(&tw, NULL, xfer_writer, &x);
	pthread_create(&tr, NULL, xfer_reader, &x);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	cr_assert_eq(x.werr, 0, "bulk write: %s", strerror(x.werr));
	cr_assert_eq(x.rerr, 0, "bulk read after %llu bytes: %s",
		     (unsigned long long)atomic_load(&x.got),
		     x.why[0] ? x.why : strerror(x.rerr));
	cr_assert_eq(atomic_load(&x.got), total);
	cr_assert_arr_eq(x.sha_w, x.sha_r, 32, "bulk %s: SHA-256 differs",
			 up ? "up" : "down");
}

static long long metric_of(const struct fx *f, const char *name)
{
	return fx_metric(f, name);
}

/*
 * A stream with one stall halfway: the second half, 128 MiB, is more
 * than the buffers and the psock queue's high mark hold (4 x 16 MiB), so
 * the stall always brings an episode. Rounds: fewer where the machine is
 * slow (the emulated guests, sanitizers).
 */
#define MIXED_STREAM (256ull << 20)

/* The end: FIN both ways, a clean close, the maps empty. */
static void mixed_end(struct fx *f, int cfd, int bfd)
{
	shutdown(cfd, SHUT_WR);
	cr_assert_eq(read_to_eof(bfd, 10000), 0);
	close(bfd);
	cr_assert_eq(read_to_eof(cfd, 10000), 0);
	close(cfd);
	fx_wait_done(f, 1);
	fx_maps_empty(f);
	fx_end(f);
}
#define MIXED_ROUNDS (sg_light() ? 1 : 2)
#define EP_START "sockgate_sockmap_episodes_total{event=\"start\"} "
#define EP_END "sockgate_sockmap_episodes_total{event=\"end\"} "
#define TO_SOCKMAP "sockgate_promotions_total{to=\"sockmap\"} "

/*
 * One session under a mixed load, its path changing both ways several
 * times: in mode sockmap, chatter through the kernel, then streams whose
 * reader stalls (the kernel's bytes go to user space in episodes, and
 * back), three rounds, both directions; every message and every stream
 * arrives whole, once, in order.
 */
Test(episodes, mixed_load_sockmap, .timeout = 300)
{
	struct fx f;
	int cfd, bfd;
	unsigned seq = 0;

	session_pair(&f, "sockmap", &cfd, &bfd);
	for (int round = 0; round < MIXED_ROUNDS; round++) {
		chatter(cfd, bfd, 50, &seq);
		bulk(&f, cfd, bfd, 1, MIXED_STREAM, 1);
		chatter(cfd, bfd, 50, &seq);
		bulk(&f, cfd, bfd, 0, MIXED_STREAM, 1);
	}
	chatter(cfd, bfd, 50, &seq);
	cr_log_info("mixed sockmap: %lld episodes started, %lld ended",
		    metric_of(&f, EP_START), metric_of(&f, EP_END));
	cr_assert_geq(metric_of(&f, EP_START), 2 * MIXED_ROUNDS,
		      "to user space and back");
	mixed_end(&f, cfd, bfd);
}

/*
 * The same in mode auto: chatter stays on copy (a check keeps it there),
 * a stream moves the session to sockmap, chatter and stalled streams
 * follow there (episodes to user space and back); nothing is lost or
 * doubled on any of the ways.
 */
Test(episodes, mixed_load_auto, .timeout = 300)
{
	time_t end;
	struct fx f;
	int cfd, bfd;
	unsigned seq = 0;

	session_pair(&f, "auto", &cfd, &bfd);
	end = time(NULL) + 60;
	while (metric_of(&f, "sockgate_copy_kept_total ") < 1) {
		cr_assert_lt(time(NULL), end, "no check kept the chatter");
		chatter(cfd, bfd, 20, &seq);
	}
	cr_assert_eq(metric_of(&f, TO_SOCKMAP), 0, "chatter stays on copy");
	end = time(NULL) + 120;
	for (int i = 0; metric_of(&f, TO_SOCKMAP) < 1; i++) {
		cr_assert_lt(time(NULL), end, "no stream moved to sockmap");
		bulk(NULL, cfd, bfd, i % 2 == 0, 16ull << 20, 0);
		chatter(cfd, bfd, 5, &seq);
	}
	for (int round = 0; round < MIXED_ROUNDS; round++) {
		chatter(cfd, bfd, 50, &seq);
		bulk(&f, cfd, bfd, round % 2 == 0, MIXED_STREAM, 1);
		chatter(cfd, bfd, 50, &seq);
	}
	cr_log_info(
		"mixed auto: kept %lld, to sockmap %lld, episodes %lld/%lld",
		metric_of(&f, "sockgate_copy_kept_total "),
		metric_of(&f, TO_SOCKMAP), metric_of(&f, EP_START),
		metric_of(&f, EP_END));
	cr_assert_geq(metric_of(&f, EP_START), MIXED_ROUNDS,
		      "to user space and back");
	mixed_end(&f, cfd, bfd);
}
