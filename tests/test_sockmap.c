// SPDX-License-Identifier: MIT
/* The kernel data path: hand-off, counters, memory, teardown, fallback. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peers.h"

/* a test that needs longer says so */
TestSuite(sockmap, .timeout = 60);

#define PROMOTED_SOCKMAP "sockgate_promotions_total{to=\"sockmap\"} "
#define PROMOTED_SPLICE "sockgate_promotions_total{to=\"splice\"} "
#define KERNEL_UP "sockgate_path_bytes_total{dir=\"up\",path=\"kernel\"} "
#define KERNEL_DOWN "sockgate_path_bytes_total{dir=\"down\",path=\"kernel\"} "

static int pin_exists(const struct gw *g, const char *map)
{
	char dir[128], path[160];
	struct stat st;

	gw_pin_dir(g, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, map);
	return stat(path, &st) == 0;
}

/* Pinned sessions entries whose "bytes" counter is n (bpftool's BTF
 * dump, field by field). */
static int entries_with_bytes(const struct fx *f, size_t n)
{
	char cmd[320], *out;
	int st, count;

	snprintf(cmd, sizeof(cmd),
		 "bpftool map dump pinned %s/sessions | grep -c "
		 "'\"bytes\": %zu,'",
		 f->pin, n);
	out = run_cmd(cmd, &st);
	count = atoi(out);
	free(out);
	return count;
}

Test(sockmap, auto_mode_picks_sockmap_and_pins_maps)
{
	struct gw g;
	char dir[128];
	struct stat st;

	cr_assert_eq(gw_start(&g, 0, NULL), 0);
	cr_assert_eq(gw_log_count(&g, "mode auto: sockmap"), 1, "log %s",
		     g.log);
	cr_assert(pin_exists(&g, "sessions") && pin_exists(&g, "peers") &&
		  pin_exists(&g, "active"));
	gw_pin_dir(&g, dir, sizeof(dir));
	cr_assert_eq(gw_stop(&g), 0);
	cr_assert_neq(stat(dir, &st), 0, "pins removed on a clean exit");
}

/* Live counters, read with the real bpftool and with sockgatectl. */
Test(sockmap, counters_in_pinned_maps)
{
	struct fx f;
	static char buf[300000], back[300000];
	char cmd[320], *out, want[128];
	int fd, st;

	fx_echo(&f, "sockmap", NULL);
	fd = fx_dial_echo(&f);
	memset(buf, 'z', sizeof(buf));
	cr_assert_eq(write_all(fd, buf, sizeof(buf)), sizeof(buf));
	cr_assert_eq(read_full(fd, back, sizeof(back), 10000), sizeof(back));

	cr_assert_eq(entries_with_bytes(&f, sizeof(buf)), 2,
		     "client and backend entries: %zu bytes each way",
		     sizeof(buf));
	cr_assert_eq(fx_map_count(&f, "peers"), 2);
	cr_assert_eq(fx_map_count(&f, "active"), 2);

	snprintf(cmd, sizeof(cmd), "%s/sockgatectl sessions 2>/dev/null",
		 sg_build());
	out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0);
	snprintf(want, sizeof(want), "%d ", f.g.pid);
	cr_assert(strstr(out, want) != NULL, "our gateway listed:\n%s", out);
	snprintf(want, sizeof(want), " %zu ", sizeof(buf));
	cr_assert(strstr(out, want) != NULL, "its byte counts:\n%s", out);
	free(out);

	close(fd);
	f.fd = -1;
	fx_wait_done(&f, 1);
	/* the session's counts come from the kernel's counters */
	cr_assert_eq(fx_metric(&f, KERNEL_UP), (long long)sizeof(buf));
	cr_assert_eq(fx_metric(&f, KERNEL_DOWN), (long long)sizeof(buf));
	fx_maps_empty(&f);
	fx_end(&f);
}

/*
 * Mode auto with --promote-rate 0: every session that lasts moves from
 * copy to sockmap. Its first bytes go through copy; once it is quiet
 * past --promote-after (50 ms by default) the kernel takes over: the BPF
 * counters hold what came after, the FIN still gets through, and the
 * close log adds both stages up.
 */
Test(sockmap, auto_promotes_a_lasting_session)
{
	const char *args[] = { "--promote-rate", "0", NULL };
	struct fx f;
	static char buf[200000], back[200000];
	char want[128];
	int fd;

	fx_echo(&f, "auto", args);
	cr_assert_eq(gw_log_count(&f.g, "for sessions that last 50 ms, streams "
					"too once a read has taken all their "
					"socket held; copy before "
					"that"),
		     1, "log %s", f.g.log);
	fd = fx_dial_echo(&f);
	memset(buf, 'a', 1000);
	cr_assert_eq(write_all(fd, buf, 1000), 1000);
	cr_assert_eq(read_full(fd, back, 1000, 10000), 1000);
	cr_assert_eq(memcmp(buf, back, 1000), 0);
	cr_assert_eq(fx_metric_wait(&f, PROMOTED_SOCKMAP, 1, 5000), 1,
		     "the session moved to sockmap");

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 23);
	cr_assert_eq(write_all(fd, buf, sizeof(buf)), sizeof(buf));
	cr_assert_eq(read_full(fd, back, sizeof(back), 10000), sizeof(back));
	cr_assert_eq(memcmp(buf, back, sizeof(buf)), 0);
	/* the kernel moved the second part, and only that, each way */
	cr_assert_eq(entries_with_bytes(&f, sizeof(buf)), 2,
		     "both entries count %zu bytes", sizeof(buf));

	/* our FIN reaches the echo server, whose close reaches us */
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	cr_assert_eq(read_to_eof(fd, 10000), 0);
	fx_wait_done(&f, 1);
	snprintf(want, sizeof(want), "sockmap (after copy) up=%zu down=%zu",
		 sizeof(buf) + 1000, sizeof(buf) + 1000);
	cr_assert_eq(gw_log_count(&f.g, want), 1, "log %s", f.g.log);
	cr_assert_eq(fx_metric(&f, "sockgate_sessions_total{mode=\"copy\"} "),
		     1);
	cr_assert_eq(fx_metric(&f, "sockgate_bytes_total{dir=\"up\"} "),
		     (long long)sizeof(buf) + 1000);
	cr_assert_eq(fx_metric(&f, KERNEL_UP), (long long)sizeof(buf));
	fx_maps_empty(&f);
	fx_end(&f);
}

/*
 * Mode auto (--promote-rate by default): an idle or chatty session stays
 * on copy, dormant, where a message costs less; a stream through the same
 * session wakes it, moves to sockmap, and every byte arrives both ways.
 */
Test(sockmap, auto_keeps_chatter_on_copy_and_moves_a_stream)
{
	const char *kept = "sockgate_copy_kept_total ";
	struct fx f;
	char msg[64];
	int fd;

	fx_echo(&f, "auto", NULL);
	cr_assert_eq(gw_log_count(&f.g, "for streams (6553600 B/s "
					"in large reads) that last 50 ms"),
		     1, "log %s", f.g.log);
	fd = fx_dial_echo(&f);
	/* chatter until a check has found the session and kept it */
	for (int i = 0; fx_metric(&f, kept) < 1; i++) {
		cr_assert_lt(i, 60000, "no check kept the session on copy");
		snprintf(msg, sizeof(msg), "chat %d", i);
		fx_round_trip(fd, msg);
	}
	cr_assert_eq(fx_metric(&f, PROMOTED_SOCKMAP), 0);
	cr_assert_eq(fx_metric(&f, PROMOTED_SPLICE), 0);
	cr_assert_eq(fx_metric(&f, KERNEL_UP), 0);
	/* dormant: no check comes, however long it stays quiet (a timer
	 * would show as another kept count) */
	fx_round_trip(fd, "still on copy");
	fx_stream_to_sockmap(&f, fd);
	cr_assert_eq(fx_metric(&f, kept), 1);
	fx_round_trip(fd, "in the kernel");
	cr_assert_gt(fx_metric(&f, KERNEL_UP), 0);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	cr_assert_eq(read_to_eof(fd, 10000), 0);
	fx_wait_done(&f, 1);
	cr_assert_eq(gw_log_count(&f.g, "sockmap (after copy)"), 1, "log %s",
		     f.g.log);
	fx_maps_empty(&f);
	fx_end(&f);
}

/* Mode auto: a short session ends on copy, without touching the maps. */
Test(sockmap, auto_short_session_stays_on_copy)
{
	const char *args[] = { "--promote-after", "10", NULL };
	struct fx f;

	fx_echo(&f, "auto", args);
	fx_round_trip(fx_dial_echo(&f), "abc");
	close(f.fd);
	f.fd = -1;
	fx_wait_done(&f, 1);
	cr_assert_eq(gw_log_count(&f.g, " copy up=3 down=3 "), 1, "log %s",
		     f.g.log);
	cr_assert_eq(fx_metric(&f, PROMOTED_SOCKMAP), 0);
	cr_assert_eq(fx_metric(&f, PROMOTED_SPLICE), 0);
	cr_assert_eq(fx_metric(&f, KERNEL_UP), 0);
	fx_end(&f);
}

/*
 * Mode auto: a session still moving bytes at its checks goes to sockmap
 * too, in the middle of its upload, once a read has taken all its socket
 * held (no skb half read); every byte arrives. The upload is in lockstep,
 * 1 MiB a step, so that on a machine of any speed the gateway's socket
 * never holds more than its reads take (4 MiB while it seeks a boundary):
 * a free-running stream on a slow machine may never give such a read and
 * goes to splice, by design. Whether the check found the session busy and
 * sought a boundary, or found it between two steps, depends on the
 * machine's speed; the log says which.
 */
Test(sockmap, auto_busy_session_moves_to_sockmap, .timeout = 120)
{
	struct sink_srv k = { .ack_every = 1u << 20 };
	struct fx f;
	char err[256];
	size_t len = sg_light() ? (128u << 20) : (1024u << 20);
	long long kup;

	cr_assert_eq(sink_start(&k), 0);
	fx_gw(&f, "auto", NULL);
	cr_assert_eq(sink_upload(f.g.port, k.port, len, k.ack_every, err,
				 sizeof(err)),
		     0, "%s", err);
	fx_wait_done(&f, 1);
	cr_log_info("the check %s",
		    gw_log_count(&f.g, "busy (") ?
			    "found the session busy and sought a boundary" :
			    "found the session between two steps");
	cr_assert_eq(fx_metric(&f, PROMOTED_SOCKMAP), 1, "log %s", f.g.log);
	cr_assert_eq(fx_metric(&f, PROMOTED_SPLICE), 0, "log %s", f.g.log);
	kup = fx_metric(&f, KERNEL_UP);
	cr_assert(kup > 0 && kup < (long long)len,
		  "in the middle: %lld of %zu bytes by the kernel", kup, len);
	cr_assert_eq(fx_metric(&f, "sockgate_bytes_total{dir=\"up\"} "),
		     (long long)len);
	fx_end(&f);
	sink_stop(&k);
}

/*
 * Hand-off: a request that reaches the gateway before the sockets are in
 * the map stays in the client socket's TCP queue. A slow DNS answer holds
 * the session in the connect phase while the request arrives; the client
 * then only waits. The answer must come.
 */
/* A sockmap gateway whose backend name resolves slowly, so that a session
 * stays in the connect phase for about 300 ms, and a client that has sent
 * its token line and then `more`. */
struct slow_case {
	struct nxdns dns;
	struct fx f;
};

static void slow_case_start(struct slow_case *c, const char *more)
{
	char server[64], a[64], line[4200];
	const char *args[] = { "--dns-server", server, NULL };
	int n;

	cr_assert_eq(fakedns_start(&c->dns, 1, 300), 0);
	snprintf(server, sizeof(server), "127.0.0.1:%u", c->dns.port);
	fx_echo(&c->f, "sockmap", args);
	snprintf(a, sizeof(a), "backend.sockgate.test:%u", c->f.be->port);
	n = snprintf(line, sizeof(line), "%s\n%s",
		     ossl_token(TEST_SECRET, a, NULL), more);
	c->f.fd = tcp_connect("127.0.0.1", c->f.g.port);
	cr_assert_geq(c->f.fd, 0);
	cr_assert_eq(write_all(c->f.fd, line, (size_t)n), n);
}

static void slow_case_stop(struct slow_case *c)
{
	cr_assert_gt(atomic_load(&c->dns.queries), 0, "resolved by name");
	fx_end(&c->f);
	nxdns_stop(&c->dns);
}

Test(sockmap, handoff_request_queued_before_insert)
{
	struct slow_case c;
	char buf[16] = "";

	slow_case_start(&c, "");
	/* the gateway is waiting for DNS now (answered 300 ms after) */
	for (long end = ms_now() + 30000;
	     !atomic_load(&c.dns.queries) && ms_now() < end; ms_sleep(5))
		;
	cr_assert_gt(atomic_load(&c.dns.queries), 0, "the gateway asked");
	cr_assert_eq(write_all(c.f.fd, "REQ", 3), 3);
	cr_assert_eq(read_full(c.f.fd, buf, 6, 10000), 6, "status and answer");
	cr_assert_str_eq(buf, "200REQ");
	shutdown(c.f.fd, SHUT_WR);
	/* forwarded by the kernel */
	cr_assert_eq(fx_metric_wait(&c.f, KERNEL_UP, 3, 5000), 3, "log %s",
		     c.f.g.log);
	cr_assert_eq(fx_metric_wait(&c.f, KERNEL_DOWN, 3, 5000), 3);
	slow_case_stop(&c);
}

/* The request sent the moment the 200 arrives, many times over. */
Test(sockmap, handoff_request_right_after_200, .timeout = 120)
{
	struct fx f;
	int n = sg_light() ? 50 : 200;

	fx_echo(&f, "sockmap", NULL);
	for (int i = 0; i < n; i++) {
		fx_round_trip(fx_dial_echo(&f), "req");
		close(f.fd);
	}
	f.fd = -1;
	fx_wait_done(&f, n);
	/* none fell back */
	cr_assert_eq(
		fx_metric(&f, "sockgate_sessions_total{mode=\"sockmap\"} "), n);
	fx_end(&f);
}

/* A client that does not wait for the status: its token line and 4 MiB
 * in one write, so the handshake's read ends inside an skb with more
 * queued behind it. Every byte must come back once, in order. */
struct pipelined {
	int fd;
	char *buf;
	size_t len;
	ssize_t wrote;
};

static void *pipelined_writer(void *arg)
{
	struct pipelined *p = arg;

	p->wrote = write_all(p->fd, p->buf, p->len);
	return NULL;
}

MODE_TEST(sockmap, pipelined_upload, M_SOCKMAP | M_AUTO)
{
	struct fx f;
	const size_t n = 4u << 20;
	struct pipelined p;
	pthread_t th;
	char *line, *back = malloc(n);
	size_t ll;

	fx_echo(&f, mode, NULL);
	line = loop_token(f.be->port);
	ll = strlen(line);
	p.len = ll + 1 + n;
	p.buf = malloc(p.len);
	memcpy(p.buf, line, ll);
	p.buf[ll] = '\n';
	for (size_t i = 0; i < n; i++)
		p.buf[ll + 1 + i] = (char)(i % 251);
	p.fd = f.fd = tcp_connect("127.0.0.1", f.g.port);
	cr_assert_geq(p.fd, 0);
	pthread_create(&th, NULL, pipelined_writer, &p);
	cr_assert_eq(read_full(p.fd, back, 3, 10000), 3);
	cr_assert_eq(memcmp(back, "200", 3), 0);
	cr_assert_eq(read_full(p.fd, back, n, 20000), (ssize_t)n);
	pthread_join(th, NULL);
	cr_assert_eq(p.wrote, (ssize_t)p.len);
	cr_assert_eq(memcmp(back, p.buf + ll + 1, n), 0,
		     "the upload came back as sent");
	cr_assert_eq(shutdown(p.fd, SHUT_WR), 0);
	cr_assert_eq(read_to_eof(p.fd, 10000), 0, "nothing more, then EOF");
	fx_wait_done(&f, 1);
	fx_end(&f);
	free(p.buf);
	free(back);
}

/* A client that sent its FIN before the hand-off (its socket is no longer
 * established, the kernel refuses it) is served by splice, and logged. */
Test(sockmap, half_closed_before_insert_uses_splice)
{
	struct slow_case c;
	char buf[16] = "";

	slow_case_start(&c, "last-words");
	shutdown(c.f.fd, SHUT_WR);
	cr_assert_eq(read_full(c.f.fd, buf, 13, 10000), 13);
	cr_assert_str_eq(buf, "200last-words");
	cr_assert_eq(read_to_eof(c.f.fd, 10000), 0);
	cr_assert_eq(gw_log_wait(&c.f.g, "sockmap cannot take a session", 1,
				 5000),
		     1);
	cr_assert_eq(fx_metric(&c.f,
			       "sockgate_sessions_total{mode=\"splice\"} "),
		     1);
	slow_case_stop(&c);
}

/*
 * Back-pressure: the backend stops reading while the client sends 1 GiB.
 * The client must stall after a bounded amount, gateway and kernel memory
 * stay bounded, and every byte arrives in order once the backend reads.
 */
/* 1 GiB; light: 256 MiB. A client that is not slowed down sends it all. */
/*
 * Where a sockmap session holds a stalled stream: the client's send
 * buffer, the high mark's 64 MiB in the backend's psock queue, the
 * backend socket's 16 MiB send buffer, the backend's own receive buffer
 * and the passed bytes in the client socket's (each up to tcp_rmem[2]):
 * up to about 150 MiB here, 80-110 measured.
 */
#define BP_TOTAL (sg_light() ? 512ull << 20 : 1ull << 30)
#define BP_BOUND (192ull << 20)

struct bp {
	int lfd, cfd;
	atomic_int go;
	atomic_ullong sent, got;
	atomic_int bad;
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off % 251);
}

static void *bp_backend(void *arg)
{
	struct bp *b = arg;
	static uint8_t buf[1 << 16];
	int fd = accept(b->lfd, NULL, NULL);
	uint64_t off = 0;
	ssize_t n;

	while (!atomic_load(&b->go))
		usleep(10000);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(off + (uint64_t)i))
				atomic_store(&b->bad, 1);
		off += (uint64_t)n;
		atomic_store(&b->got, off);
	}
	close(fd);
	return NULL;
}

static void *bp_client(void *arg)
{
	struct bp *b = arg;
	static uint8_t buf[1 << 16];
	uint64_t off = 0;

	while (off < BP_TOTAL) {
		size_t len = sizeof(buf);
		ssize_t n;

		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(off + i);
		n = send(b->cfd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		if ((size_t)n < len) {
			/* keep the stream exact: resend the rest */
			size_t done = (size_t)n;

			while (done < len) {
				n = send(b->cfd, buf + done, len - done,
					 MSG_NOSIGNAL);
				if (n <= 0)
					return NULL;
				done += (size_t)n;
				atomic_store(&b->sent, off + done);
			}
		}
		off += len;
		atomic_store(&b->sent, off);
	}
	shutdown(b->cfd, SHUT_WR);
	return NULL;
}

MODE_TEST(sockmap, backpressure_1gib, M_SOCKMAP | M_SPLICE, .timeout = 300)
{
	struct gw g;
	const char *args[] = { "--mode", mode, NULL };
	struct bp b = { 0 };
	pthread_t tb, tc;
	uint16_t port;
	unsigned long long stalled = 0;
	long rss0, rss1, mem0, mem1, skb0, skb1;

	b.lfd = tcp_listen(0, &port, 4);
	cr_assert_eq(gw_start(&g, 0, args), 0);
	pthread_create(&tb, NULL, bp_backend, &b);
	cr_assert_eq(gw_dial_token(g.port, loop_token(port), &b.cfd), 200);
	rss0 = proc_rss_kb(g.pid);
	mem0 = sockstat_tcp_mem_pages();
	skb0 = slab_active_objs("skbuff_head_cache");
	pthread_create(&tc, NULL, bp_client, &b);
	/* wait until the client's sends stop moving for a second */
	for (int still = 0; still < 10;) {
		unsigned long long s;

		usleep(100000);
		s = atomic_load(&b.sent);
		still = s == stalled ? still + 1 : 0;
		stalled = s;
		if (s >= BP_TOTAL)
			break;
	}
	rss1 = proc_rss_kb(g.pid);
	mem1 = sockstat_tcp_mem_pages();
	skb1 = slab_active_objs("skbuff_head_cache");
	cr_log_info("%s back-pressure: client stalled after %.1f MiB; gateway "
		    "RSS %+ld KiB; TCP mem %+ld KiB; skbuff_head_cache %+ld",
		    mode, (double)stalled / (1 << 20), rss1 - rss0,
		    (mem1 - mem0) * 4, skb1 - skb0);
	cr_expect_lt(stalled, BP_BOUND, "the client was slowed down");
	cr_expect_lt(rss1 - rss0, 16 * 1024, "gateway RSS bounded");
	cr_expect_lt((mem1 - mem0) * 4, 128 * 1024, "TCP memory bounded");
	atomic_store(&b.go, 1);
	pthread_join(tc, NULL);
	pthread_join(tb, NULL);
	cr_assert_eq(atomic_load(&b.got), BP_TOTAL, "every byte arrived");
	cr_assert_eq(atomic_load(&b.bad), 0, "in order");
	close(b.cfd);
	close(b.lfd);
	cr_assert_eq(gw_stop(&g), 0);
}

/* Without CAP_BPF and CAP_NET_ADMIN: auto falls back to splice and says
 * why; --mode sockmap refuses to start. */
Test(sockmap, fallback_without_capabilities)
{
	static const char *const nocaps[] = { "setpriv", "--bounding-set=-all",
					      "--inh-caps=-all", "--", NULL };
	const char *sm[] = { "--mode", "sockmap", NULL };
	struct echo_srv e;
	struct gw g, g2;

	cr_assert_eq(echo_start(&e, 0), 0);
	cr_assert_eq(gw_start_wrapped(&g, 0, nocaps, NULL), 0);
	cr_assert_eq(gw_log_count(&g, "mode auto: splice, because the sockmap "
				      "path is unavailable"),
		     1, "log %s", g.log);
	cr_assert_eq(gw_log_count(&g, "needs CAP_BPF, CAP_PERFMON and "
				      "CAP_NET_ADMIN"),
		     1, "every capability the load needs (log %s)", g.log);
	cr_assert(!pin_exists(&g, "sessions"));
	{
		int fd;

		cr_assert_eq(gw_dial_token(g.port, loop_token(e.port), &fd),
			     200);
		fx_round_trip(fd, "abc");
		close(fd);
	}
	cr_assert_geq(gw_log_wait(&g, "splice up=3 down=3", 1, 5000), 1);
	cr_assert_eq(gw_stop(&g), 0);

	cr_assert_neq(gw_start_wrapped(&g2, 0, nocaps, sm), 0,
		      "--mode sockmap cannot start");
	cr_assert_eq(gw_log_count(&g2, "--mode sockmap: cannot load"), 1);
	echo_stop(&e);
}

/* Gateways sharing a port keep their maps apart. */
Test(sockmap, processes_pin_apart)
{
	struct gw g1, g2;
	char port[64], d1[128], d2[128];
	const char *a1[] = { "-reuse", "1", NULL };
	const char *a2[] = { "-addr", port, "-reuse", "1", NULL };
	struct stat st;

	cr_assert_eq(gw_start(&g1, 0, a1), 0);
	snprintf(port, sizeof(port), "127.0.0.1:%u", g1.port);
	cr_assert_eq(gw_start(&g2, 0, a2), 0);
	gw_pin_dir(&g1, d1, sizeof(d1));
	gw_pin_dir(&g2, d2, sizeof(d2));
	cr_assert(pin_exists(&g1, "sessions") && pin_exists(&g2, "sessions"));
	cr_assert_eq(gw_stop(&g1), 0);
	cr_assert_neq(stat(d1, &st), 0);
	cr_assert(pin_exists(&g2, "sessions"), "the other's pins stay");
	cr_assert_eq(gw_stop(&g2), 0);
	cr_assert_neq(stat(d2, &st), 0);
}

/*
 * Congestion, then the client's FIN: the backend reads only once the
 * verdict has reported its peer behind, so the client's bytes go through
 * user space in an episode, with the FIN. The backend gets every byte in
 * order, then EOF, and its answer gets through.
 */
static int hold_until_behind(void *arg)
{
	const struct fx *f = arg;

	return gw_log_wait(&f->g, "client's peer is behind", 1, 120000) >= 1 ?
		       0 :
		       -1;
}

Test(sockmap, congestion_then_fin, .timeout = 180)
{
	struct fx f;
	struct sink_srv k = { .hold = hold_until_behind, .hold_arg = &f };
	char err[160] = "";

	cr_assert_eq(sink_start(&k), 0);
	fx_gw(&f, "sockmap", NULL);
	/* past the high mark: 64 MiB waiting behind the backend socket's
	 * send buffer and the backend's receive buffer */
	cr_assert_eq(sink_upload(f.g.port, k.port, 128 << 20, 0, err,
				 sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(atomic_load(&k.hold_rc), 0,
		     "the verdict never reported the client's peer behind "
		     "while the backend did not read (log %s)",
		     f.g.log);
	fx_wait_done(&f, 1);
	cr_assert_geq(fx_metric(&f, "sockgate_sockmap_episodes_total{event="
				    "\"start\"} "),
		      1, "an episode was copied (log %s)", f.g.log);
	cr_assert_gt(fx_metric(&f, "sockgate_path_bytes_total{dir=\"up\","
				   "path=\"user\"} "),
		     0, "through user space");
	fx_end(&f);
	sink_stop(&k);
}

/*
 * Retransmitted bytes (bpf/sockmap.bpf.c, repeated()). A real overlapping
 * retransmission cannot be made to order, so the test hook makes the
 * verdict take the first `repeat` bytes after the hand-off for repeats:
 * what the backend then gets shows that a whole repeated skb is dropped,
 * that a partly repeated one loses exactly its repeated head, and that
 * the bytes after it still arrive, in order, through user space.
 */
static void repeat_case(unsigned repeat, const char *want)
{
	struct fx f;
	char env[16], back[32] = "", line[96];
	size_t n = strlen(want);
	int fd;

	snprintf(env, sizeof(env), "%u", repeat);
	setenv("SOCKGATE_TEST_REPEAT", env, 1);
	fx_echo(&f, "sockmap", NULL);
	unsetenv("SOCKGATE_TEST_REPEAT");
	fd = fx_dial_echo(&f);
	cr_assert_eq(write_all(fd, "0123456789", 10), 10);
	/* two skbs: the second is sent once the first is acked, i.e. in the
	 * gateway's socket (Nagle would otherwise merge them) */
	for (long end = ms_now() + 30000; ms_now() < end; ms_sleep(5)) {
		int outq = -1;

		if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq == 0)
			break;
	}
	cr_assert_eq(write_all(fd, "ABCDEFGHIJ", 10), 10);
	cr_assert_eq(read_full(fd, back, n, 10000), (ssize_t)n, "got \"%s\"",
		     back);
	cr_assert_str_eq(back, want);
	shutdown(fd, SHUT_WR);
	cr_assert_eq(read_to_eof(fd, 10000), 0, "nothing more, then EOF");
	fx_wait_done(&f, 1);
	cr_assert_eq(fx_metric(&f, "sockgate_sockmap_repeat_bytes_total "),
		     repeat, "log %s", f.g.log);
	snprintf(line, sizeof(line),
		 "sockmap: %u bytes from the client came a second time",
		 repeat);
	cr_assert_eq(gw_log_count(&f.g, line), 1, "log %s", f.g.log);
	fx_end(&f);
}

Test(sockmap, repeated_head_skipped)
{
	repeat_case(4, "456789ABCDEFGHIJ");
}

Test(sockmap, repeated_skb_dropped)
{
	repeat_case(13, "DEFGHIJ");
}

/* A gone gateway's pins are removed at the next start in any mode. */
MODE_TEST(sockmap, stale_pins_cleaned_in_every_mode, M_ALL)
{
	char stale[128];
	struct stat st;
	struct fx f;
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	cr_assert_gt(gone, 0);
	waitpid(gone, NULL, 0);
	/* an empty directory, as a crash between pins would leave */
	mkdir("/sys/fs/bpf/sockgate", 0700);
	snprintf(stale, sizeof(stale), "/sys/fs/bpf/sockgate/%ld", (long)gone);
	cr_assert_eq(mkdir(stale, 0700), 0, "mkdir %s", stale);
	fx_gw(&f, mode, NULL);
	cr_assert_neq(stat(stale, &st), 0, "--mode %s removed %s (log %s)",
		      mode, stale, f.g.log);
	fx_end(&f);
}
