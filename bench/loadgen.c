// SPDX-License-Identifier: MIT
/*
 * sg-loadgen: the benchmark's client, one epoll thread, many connections.
 *   sg-loadgen MODE HOST:PORT [--token T] [--conns N] [--seconds S]
 *   MODE bulk    one connection reads a source backend: Gbit/s
 *        upload  one connection writes into a sink backend: Gbit/s
 *        push    one connection writes --bytes N, shuts its write side
 *                and waits for the backend's EOF: seconds
 *        rr      N connections, 64-byte request/response each: msg/s, p50,
 *                p99, p99.9 round trip (us)
 *        conn    N parallel loops of connect, handshake, one echo, close:
 *                connections/s
 *        idle    opens N sessions (handshake, one echo) and holds them
 *                for S seconds, printing "held N" when all are up
 *        paced   opens N sessions, then each sends a --size byte message
 *                --rate times a second to an echo backend, their sends
 *                spread evenly over the period: msg/s, p50, p99, p99.9
 *                round trip (us), and sends skipped because the last
 *                answer had not come
 * --size N (rr, paced): the message's bytes (default 64, at most 4096).
 * With --token each connection first sends the token line and expects
 * "200" (the sockgate handshake); without, it talks to the target as is.
 * --token may be given up to 4 times: connections take turns. --src N:
 * connections come from 127.0.0.1 .. 127.0.0.N (past 64k connections).
 * --pipeline 1 (conn, rr): the token line and the first request go in one
 * write, as the protocol allows, and the status comes before the answer.
 * rr and paced add busy_ticks=: the machine's busy CPU ticks (/proc/stat)
 * over the measured window.
 * The result is one line of key=value pairs on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX 4096
static int msg_len = 64; /* --size */

enum st { CONNECTING, HANDSHAKE, READY, WAIT_ECHO, DONE };

struct conn {
	int fd;
	enum st st;
	int got;      /* bytes of the current answer */
	int hdr;      /* bytes of the status still to come */
	int tok;      /* its token, of tokens[] */
	char code[3]; /* the status */
	uint64_t t0;  /* request sent */
};

static struct sockaddr_in target;
static const char *token; /* the current connection's, of tokens[] */
static size_t token_len;
static char *tokens[4]; /* --token, up to 4: connections take turns */
static int ntokens, next_token;
static int nsrc = 1; /* --src N: source addresses 127.0.0.1 .. N */
static int next_src;
static int pipeline; /* token line and request in one write */
static int ep;
static uint64_t *lat;
static size_t nlat, cap_lat;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int dial(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (nsrc > 1) {
		/* more than one port range's worth of connections to one
		 * address: spread them over source addresses; the port is
		 * picked at connect, per destination */
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr =
			htonl(INADDR_LOOPBACK + (uint32_t)next_src);
		next_src = (next_src + 1) % nsrc;
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			close(c->fd);
			return -1;
		}
	}
	c->tok = ntokens ? next_token : 0;
	if (ntokens)
		next_token = (next_token + 1) % ntokens;
	if (connect(c->fd, (struct sockaddr *)&target, sizeof(target)) < 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		return -1;
	}
	c->st = CONNECTING;
	c->got = 0;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void send_req(struct conn *c)
{
	static const char req[MSG_MAX] = "ping";

	c->t0 = now_ns();
	c->got = 0;
	c->st = WAIT_ECHO;
	if (send(c->fd, req, (size_t)msg_len, MSG_NOSIGNAL) != msg_len) {
		perror("send");
		exit(1);
	}
}

/* Drives one connection; returns 1 when an echo completed. */
static int step(struct conn *c)
{
	char buf[4096];
	ssize_t n;

	if (c->st == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (ntokens) {
			token = tokens[c->tok];
			token_len = strlen(token);
		}

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			fprintf(stderr, "connect: %s\n", strerror(err));
			exit(1);
		}
		if (token && pipeline) {
			/* what a client that trusts its token does: the
			 * request right behind the line, one segment */
			char req[4096 + MSG_MAX] = "";
			size_t rlen = token_len + (size_t)msg_len;

			memcpy(req, token, token_len);
			memcpy(req + token_len, "ping", 4);
			c->hdr = 3;
			c->st = WAIT_ECHO;
			c->got = 0;
			c->t0 = now_ns();
			if (send(c->fd, req, rlen, MSG_NOSIGNAL) !=
			    (ssize_t)rlen) {
				perror("send token and request");
				exit(1);
			}
			return 0;
		}
		if (token) {
			if (send(c->fd, token, token_len, MSG_NOSIGNAL) !=
			    (ssize_t)token_len) {
				perror("send token");
				exit(1);
			}
			c->st = HANDSHAKE;
			c->hdr = 3;
			c->got = 0;
			return 0;
		}
		c->st = READY;
		send_req(c);
		return 0;
	}
	n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n <= 0) {
		fprintf(stderr, "connection closed in state %d\n", c->st);
		exit(1);
	}
	if (c->hdr > 0) {
		int k = (int)n < c->hdr ? (int)n : c->hdr;

		memcpy(c->code + 3 - c->hdr, buf, (size_t)k);
		c->hdr -= k;
		n -= k;
		if (c->hdr > 0)
			return 0;
		if (memcmp(c->code, "200", 3) != 0) {
			fprintf(stderr, "handshake answered %.3s\n", c->code);
			exit(1);
		}
		if (c->st == HANDSHAKE) {
			c->st = READY;
			send_req(c);
			return 0;
		}
	}
	c->got += (int)n;
	if (c->st == WAIT_ECHO && c->got >= msg_len) {
		c->st = READY;
		return 1;
	}
	return 0;
}

/* Once connected, a connection only waits for input. */
static void connected(struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	if (c->st == CONNECTING)
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/*
 * System-wide busy ticks, all CPUs (user, nice, system, irq, softirq of
 * /proc/stat's cpu line): what the measured window cost the machine,
 * kworkers and softirq included; the sessions' set-up is left out.
 */
static unsigned long long busy_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		v[0] = v[1] = v[2] = v[5] = v[6] = 0;
	fclose(f);
	return v[0] + v[1] + v[2] + v[5] + v[6];
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void record(uint64_t ns)
{
	if (nlat == cap_lat) {
		cap_lat = cap_lat ? cap_lat * 2 : 1 << 20;
		lat = realloc(lat, cap_lat * sizeof(*lat));
	}
	lat[nlat++] = ns;
}

static double pct(double p)
{
	size_t i = (size_t)(p * (double)(nlat - 1));

	return nlat ? (double)lat[i] / 1000.0 : 0;
}

static int run_rr(int nconns, double secs)
{
	struct conn *cs = calloc((size_t)nconns, sizeof(*cs));
	struct epoll_event evs[512];
	uint64_t start = 0, end = 0, warm;
	unsigned long long b0 = 0;
	size_t done = 0;

	for (int i = 0; i < nconns; i++)
		if (dial(&cs[i], EPOLLIN | EPOLLOUT) < 0) {
			perror("dial");
			return 1;
		}
	warm = now_ns() + 500000000ull; /* half a second to warm up */
	for (;;) {
		int n = epoll_wait(ep, evs, 512, 1000);
		uint64_t t = now_ns();

		if (!start && t >= warm) {
			start = t;
			end = t + (uint64_t)(secs * 1e9);
			nlat = 0;
			done = 0;
			b0 = busy_ticks();
		}
		if (start && t >= end)
			break;
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			connected(c);
			if (step(c)) {
				record(now_ns() - c->t0);
				done++;
				send_req(c);
			}
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("rate=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
	       "busy_ticks=%llu\n",
	       (double)done / secs, pct(0.5), pct(0.99), pct(0.999),
	       busy_ticks() - b0);
	return 0;
}

static int run_conn(int par, double secs)
{
	struct conn *cs = calloc((size_t)par, sizeof(*cs));
	struct epoll_event evs[512];
	uint64_t end = now_ns() + (uint64_t)(secs * 1e9);
	size_t done = 0;

	for (int i = 0; i < par; i++)
		dial(&cs[i], EPOLLIN | EPOLLOUT);
	while (now_ns() < end) {
		int n = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			connected(c);
			if (step(c)) {
				done++;
				close(c->fd);
				if (dial(c, EPOLLIN | EPOLLOUT) < 0) {
					perror("dial");
					return 1;
				}
			}
		}
	}
	printf("cps=%.0f\n", (double)done / secs);
	return 0;
}

/* Opens nconns sessions, 200 at a time, each through its handshake and
 * one echo; they end READY and unwatched. The count that made it. */
static int open_all(struct conn *cs, int nconns)
{
	struct epoll_event evs[512];
	int opened = 0, ready = 0, inflight = 0;

	while (ready < nconns) {
		while (opened < nconns && inflight < 200) {
			if (dial(&cs[opened], EPOLLIN | EPOLLOUT) < 0) {
				perror("dial");
				return -1;
			}
			opened++;
			inflight++;
		}
		int n = epoll_wait(ep, evs, 512, 1000);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			connected(c);
			if (step(c)) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				c->st = DONE;
				ready++;
				inflight--;
				if (ready % 10000 == 0)
					fprintf(stderr, "up %d\n", ready);
			}
		}
	}
	return ready;
}

static int run_idle(int nconns, double secs)
{
	struct conn *cs = calloc((size_t)nconns, sizeof(*cs));
	int ready;

	if (!cs || (ready = open_all(cs, nconns)) < 0)
		return 1;
	printf("held %d\n", ready);
	fflush(stdout);
	usleep((useconds_t)(secs * 1e6));
	return 0;
}

/*
 * Paced load: connection i sends at t0 + k * period + i * period / n,
 * k = 0, 1, ...; a connection whose last answer has not come skips its
 * turn (counted). The round trip is from the send to the last byte of
 * the answer.
 */
static int run_paced(int nconns, double secs, double rate)
{
	struct conn *cs = calloc((size_t)nconns, sizeof(*cs));
	struct epoll_event evs[512];
	uint64_t period = (uint64_t)(1e9 / rate), t0, start, end, k = 0;
	unsigned long long b0 = 0, b1;
	size_t done = 0, skipped = 0;
	int next = 0;

	if (!cs || rate <= 0 || open_all(cs, nconns) != nconns) {
		fprintf(stderr, "paced: not every session opened\n");
		return 1;
	}
	for (int i = 0; i < nconns; i++) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &cs[i] };

		cs[i].hdr = 0;
		cs[i].st = READY;
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	t0 = now_ns();
	start = t0 + 500000000ull; /* half a second to warm up */
	end = start + (uint64_t)(secs * 1e9);
	for (;;) {
		uint64_t t = now_ns(), due;

		if (!b0 && t >= start)
			b0 = busy_ticks();
		struct timespec wait;
		int n;

		/* every send that is due */
		for (;;) {
			due = t0 + k * period +
			      (uint64_t)next * period / (uint64_t)nconns;
			if (due > t)
				break;
			if (cs[next].st == READY)
				send_req(&cs[next]);
			else if (t >= start)
				skipped++;
			if (++next == nconns) {
				next = 0;
				k++;
			}
		}
		if (t >= end)
			break;
		wait.tv_sec = (time_t)((due - t) / 1000000000ull);
		wait.tv_nsec = (long)((due - t) % 1000000000ull);
		n = epoll_pwait2(ep, evs, 512, &wait, NULL);
		t = now_ns();
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (step(c) && c->t0 >= start) {
				record(t - c->t0);
				done++;
			}
		}
	}
	b1 = busy_ticks();
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("rate=%.0f p50_us=%.1f p99_us=%.1f p999_us=%.1f skipped=%zu "
	       "busy_ticks=%llu\n",
	       (double)done / secs, pct(0.5), pct(0.99), pct(0.999), skipped,
	       b1 - b0);
	return 0;
}

static uint64_t push_bytes = 1ull << 30;

static int run_bulk(double secs, int up)
{
	struct conn c;
	static char buf[1 << 18];
	uint64_t start, end;
	uint64_t bytes = 0;
	if (dial(&c, EPOLLIN | EPOLLOUT) < 0)
		return 1;
	for (;;) {
		struct epoll_event ev;

		if (epoll_wait(ep, &ev, 1, 5000) <= 0)
			return 1;
		if (c.st == CONNECTING && token) {
			step(&c);
			continue;
		}
		if (c.st == CONNECTING) {
			c.st = READY;
			break;
		}
		if (c.st == HANDSHAKE) {
			ssize_t n = read(c.fd, buf, 3 - (size_t)c.got);

			if (n < 0 && errno == EAGAIN)
				continue;
			if (n <= 0 || (c.got == 0 && buf[0] != '2')) {
				fprintf(stderr,
					"bulk: no 200 from the gateway\n");
				return 1;
			}
			c.got += (int)n;
			if (c.got == 3)
				break;
		}
	}
	epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, NULL);
	fcntl(c.fd, F_SETFL, 0); /* blocking reads */
	start = now_ns() + 500000000ull;
	end = start + (uint64_t)(secs * 1e9);
	if (up)
		memset(buf, 'u', sizeof(buf));
	if (up > 1) {
		/* push: a fixed amount, then EOF both ways */
		uint64_t t0 = now_ns();

		for (uint64_t off = 0; off < push_bytes;) {
			size_t len = sizeof(buf);
			ssize_t n;

			if (len > push_bytes - off)
				len = (size_t)(push_bytes - off);
			n = write(c.fd, buf, len);
			if (n <= 0)
				return 1;
			off += (uint64_t)n;
		}
		shutdown(c.fd, SHUT_WR);
		while (read(c.fd, buf, sizeof(buf)) > 0)
			;
		printf("pushed=%llu secs=%.3f\n",
		       (unsigned long long)push_bytes,
		       (double)(now_ns() - t0) / 1e9);
		return 0;
	}
	for (;;) {
		ssize_t n = up ? write(c.fd, buf, sizeof(buf)) :
				 read(c.fd, buf, sizeof(buf));
		uint64_t t;

		if (n <= 0)
			return 1;
		t = now_ns();
		if (t >= start)
			bytes += (uint64_t)n;
		if (t >= end)
			break;
	}
	printf("gbps=%.3f\n", (double)bytes * 8 / secs / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode, *addr, *colon;
	int conns = 1;
	double secs = 5, rate = 10;
	char host[64];

	if (argc < 3) {
		fprintf(stderr,
			"usage: sg-loadgen bulk|upload|push|rr|conn|idle|paced "
			"HOST:PORT [--token T] [--conns N] [--seconds S] "
			"[--pipeline 0|1] [--src N] [--bytes N] [--rate R] "
			"[--size N]\n");
		return 2;
	}
	mode = argv[1];
	addr = argv[2];
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--token") && ntokens < 4) {
			char *t = malloc(strlen(argv[i + 1]) + 2);

			if (strlen(argv[i + 1]) > 4000) {
				fprintf(stderr, "token too long\n");
				return 2;
			}
			sprintf(t, "%s\n", argv[i + 1]);
			tokens[ntokens++] = t;
			token = t;
			token_len = strlen(t);
		} else if (!strcmp(argv[i], "--src"))
			nsrc = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--conns"))
			conns = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			secs = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--bytes"))
			push_bytes = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--pipeline"))
			pipeline = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rate"))
			rate = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--size"))
			msg_len = atoi(argv[i + 1]);
	}
	if (msg_len < 1 || msg_len > MSG_MAX) {
		fprintf(stderr, "--size: 1 to %d\n", MSG_MAX);
		return 2;
	}
	colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return 2;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, host, &target.sin_addr);
	ep = epoll_create1(0);
	if (!strcmp(mode, "rr"))
		return run_rr(conns, secs);
	if (!strcmp(mode, "conn"))
		return run_conn(conns, secs);
	if (!strcmp(mode, "idle"))
		return run_idle(conns, secs);
	if (!strcmp(mode, "paced"))
		return run_paced(conns, secs, rate);
	if (!strcmp(mode, "bulk"))
		return run_bulk(secs, 0);
	if (!strcmp(mode, "upload"))
		return run_bulk(secs, 1);
	if (!strcmp(mode, "push"))
		return run_bulk(secs, 2);
	return 2;
}
