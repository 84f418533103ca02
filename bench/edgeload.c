// SPDX-License-Identifier: MIT
/*
 * sg-edgeload: load for the TLS and WebSocket rows of make bench, built
 * on the tests' client (tests/conn.c: TLS by libssl, WebSocket framing).
 *   sg-edgeload down HOST PORT TOKEN|- SECS      TLS bulk from a source
 *   sg-edgeload up HOST PORT TOKEN|- SECS        TLS bulk into a sink
 *   sg-edgeload hs HOST PORT TOKEN|- SECS CONC   TLS handshakes a second:
 *       connect, handshake, token and status (sockgate), one byte echoed
 *       (the proxy reached the backend), close; CONC threads
 *   sg-edgeload ws HOST PORT TARGET SECS CONC SIZE   WebSocket echo: CONC
 *       clients, each a SIZE-byte message and its echo in turn
 * TOKEN "-": none (HAProxy, nginx). Prints "rate=X cpu=Y": bytes or
 * handshakes or messages a second, and system-wide busy CPU-seconds
 * (/proc/stat, every CPU: softirq and kworkers included) over the run.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "gwproc.h"

static const char *host, *token, *target;
static uint16_t port;
static int secs, size;
static SSL_CTX *ctx;
static atomic_llong count;
static atomic_int stop;

static double busy_s(void)
{
	unsigned long long v[10] = { 0 }, total = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (!f ||
	    fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	for (int i = 0; i < 8; i++)
		total += v[i];
	/* idle and iowait are not busy */
	return (double)(total - v[3] - v[4]) / (double)sysconf(_SC_CLK_TCK);
}

static int open_conn(struct cconn *c)
{
	char err[256];

	if (cc_connect(c, host, port, ctx, "localhost", err, sizeof(err)) < 0) {
		fprintf(stderr, "sg-edgeload: %s\n", err);
		return -1;
	}
	if (strcmp(token, "-") && cc_token(c, token) != 200) {
		fprintf(stderr, "sg-edgeload: no 200\n");
		cc_close(c);
		return -1;
	}
	return 0;
}

static void *bulk(void *arg)
{
	static char buf[1 << 16];
	int up = arg != NULL;
	struct cconn c;
	long end = ms_now() + secs * 1000L;

	if (open_conn(&c) < 0)
		exit(1);
	while (ms_now() < end) {
		ssize_t n = up ? cc_send(&c, buf, sizeof(buf)) :
				 cc_recv(&c, buf, sizeof(buf));
		struct pollfd p = { .fd = c.fd,
				    .events = up ? POLLOUT : POLLIN };

		if (n > 0) {
			count += n;
			continue;
		}
		if (n == 0 || errno != EAGAIN)
			break;
		if (!up && cc_pending(&c))
			continue;
		poll(&p, 1, 1000);
	}
	cc_close(&c);
	return NULL;
}

static void *handshakes(void *arg)
{
	(void)arg;
	while (!stop) {
		struct cconn c;
		char b = 'x';

		if (open_conn(&c) < 0)
			exit(1);
		if (cc_send_all(&c, &b, 1, 10000) < 0 ||
		    cc_recv_full(&c, &b, 1, 10000) != 1) {
			fprintf(stderr, "sg-edgeload: no echo\n");
			exit(1);
		}
		cc_close(&c);
		count++;
	}
	return NULL;
}

static void *ws_echo(void *arg)
{
	char *msg = calloc(1, (size_t)size), *back = malloc((size_t)size);
	struct cconn c;
	char err[256];

	(void)arg;
	if (cc_connect(&c, host, port, ctx, "localhost", err, sizeof(err)) <
		    0 ||
	    cc_ws_open(&c, target, NULL) != 101 ||
	    (strcmp(target, "/") && cc_ws_status(&c) != 200)) {
		fprintf(stderr, "sg-edgeload: ws open failed %s\n", c.head);
		exit(1);
	}
	while (!stop) {
		if (cc_send_all(&c, msg, (size_t)size, 10000) < 0 ||
		    cc_recv_full(&c, back, (size_t)size, 10000) != size) {
			fprintf(stderr, "sg-edgeload: no echo\n");
			exit(1);
		}
		count++;
	}
	cc_close(&c);
	free(msg);
	free(back);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[256];
	int conc = 1;
	double c0, c1;
	long t0, t1;
	void *(*fn)(void *) = NULL;
	void *arg = NULL;

	if (argc < 6) {
		fprintf(stderr, "usage: see bench/edgeload.c\n");
		return 2;
	}
	host = argv[2];
	port = (uint16_t)atoi(argv[3]);
	token = target = argv[4];
	secs = atoi(argv[5]);
	if (!strcmp(argv[1], "down") || !strcmp(argv[1], "up")) {
		fn = bulk;
		arg = argv[1][0] == 'u' ? argv : NULL;
	} else if (!strcmp(argv[1], "hs") && argc > 6) {
		fn = handshakes;
		conc = atoi(argv[6]);
	} else if (!strcmp(argv[1], "ws") && argc > 7) {
		fn = ws_echo;
		conc = atoi(argv[6]);
		size = atoi(argv[7]);
	}
	if (!fn || conc < 1 || conc > 256)
		return 2;
	/* TLS unless a plain ws:// run (WS_PLAIN=1) */
	if (!getenv("WS_PLAIN"))
		ctx = cc_tls_ctx(NULL, 0, getenv("TLS12") ? TLS1_2_VERSION : 0);
	c0 = busy_s();
	t0 = ms_now();
	for (int i = 0; i < conc; i++)
		pthread_create(&th[i], NULL, fn, arg);
	if (fn != bulk) {
		ms_sleep(secs * 1000);
		stop = 1;
	}
	for (int i = 0; i < conc; i++)
		pthread_join(th[i], NULL);
	t1 = ms_now();
	c1 = busy_s();
	printf("rate=%.1f cpu=%.2f\n",
	       (double)count * 1000.0 / (double)(t1 - t0), c1 - c0);
	return 0;
}
