// SPDX-License-Identifier: MIT
/* Backends on loopback: a thread accepts, a thread per connection. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gwproc.h"
#include "servers.h"
#include "sock.h"
#include "tokens.h"
#include <string.h>

struct acceptor {
	int fd;
	void (*conn)(void *ctx, int fd);
	void *ctx;
};

struct conn_arg {
	void (*conn)(void *ctx, int fd);
	void *ctx;
	int fd;
};

static void *conn_main(void *arg)
{
	struct conn_arg a = *(struct conn_arg *)arg;

	free(arg);
	a.conn(a.ctx, a.fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct acceptor *ac = arg;

	for (;;) {
		int fd = accept(ac->fd, NULL, NULL);
		struct conn_arg *a;
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break; /* shut down: server_stop */
		}
		a = malloc(sizeof(*a));
		if (!a) {
			close(fd);
			continue;
		}
		*a = (struct conn_arg){ ac->conn, ac->ctx, fd };
		if (pthread_create(&t, NULL, conn_main, a)) {
			free(a);
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	free(ac);
	return NULL;
}

int server_start(int *fd, uint16_t *port, pthread_t *th, int v6, int backlog,
		 void (*conn)(void *ctx, int fd), void *ctx)
{
	struct acceptor *ac = malloc(sizeof(*ac));

	*fd = tcp_listen(v6, port, backlog);
	if (*fd < 0 || !ac) {
		free(ac);
		return -1;
	}
	*ac = (struct acceptor){ *fd, conn, ctx };
	if (pthread_create(th, NULL, accept_main, ac)) {
		free(ac);
		return -1;
	}
	return 0;
}

void server_stop(int fd, pthread_t th)
{
	shutdown(fd, SHUT_RDWR); /* wakes accept() */
	pthread_join(th, NULL);
	close(fd);
}

static void echo_conn(void *ctx, int fd)
{
	struct echo_srv *e = ctx;
	char buf[65536];
	ssize_t n;

	atomic_fetch_add(&e->conns, 1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n) < 0)
			break;
	close(fd);
}

int echo_start(struct echo_srv *e, int v6)
{
	atomic_init(&e->conns, 0);
	return server_start(&e->fd, &e->port, &e->th, v6, 512, echo_conn, e);
}

void echo_stop(struct echo_srv *e)
{
	server_stop(e->fd, e->th);
}

static void sink_conn(void *ctx, int fd)
{
	struct sink_srv *k = ctx;
	char buf[65536];
	unsigned long long got = 0, acked = 0;
	ssize_t n;

	if (k->hold && k->hold(k->hold_arg) < 0)
		atomic_store(&k->hold_rc, -1);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		got += (unsigned long long)n;
		for (; k->ack_every && got - acked >= k->ack_every;
		     acked += k->ack_every)
			if (write_all(fd, "k", 1) != 1)
				break;
	}
	n = snprintf(buf, sizeof(buf), "got=%llu\n", got);
	write_all(fd, buf, (size_t)n);
	close(fd);
}

int sink_start(struct sink_srv *k)
{
	atomic_init(&k->hold_rc, 0);
	return server_start(&k->fd, &k->port, &k->th, 0, 64, sink_conn, k);
}

void sink_stop(struct sink_srv *k)
{
	server_stop(k->fd, k->th);
}

/* len zero bytes to fd from buf, which holds a step: chunk, or all of
 * them; with chunk, a byte back after each chunk. */
static int upload(int fd, const char *buf, size_t len, size_t chunk)
{
	size_t step = chunk ? chunk : len;
	char ack;

	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		if (write_all(fd, buf, n) != (ssize_t)n)
			return -1;
		if (chunk && n == chunk && read_full(fd, &ack, 1, 30000) != 1)
			return -1;
	}
	return 0;
}

int sink_upload(uint16_t gw_port, uint16_t sink_port, size_t len, size_t chunk,
		char *err, size_t errlen)
{
	char reply[64] = "", want[64];
	char *buf = calloc(1, chunk ? chunk : len);
	int fd = -1, code, ret = -1;
	ssize_t n;

	snprintf(want, sizeof(want), "got=%zu\n", len);
	code = gw_dial_token(gw_port, loop_token(sink_port), &fd);
	if (code != 200) {
		snprintf(err, errlen, "handshake answered %d", code);
		goto out;
	}
	if (!buf || upload(fd, buf, len, chunk) < 0) {
		snprintf(err, errlen, "upload of %zu bytes failed", len);
		goto out;
	}
	shutdown(fd, SHUT_WR);
	n = read_full(fd, reply, strlen(want), 30000);
	if (n != (ssize_t)strlen(want) || strcmp(reply, want) != 0) {
		snprintf(err, errlen, "answer '%s', want '%.*s'", reply,
			 (int)strlen(want) - 1, want);
		goto out;
	}
	if (read_to_eof(fd, 10000) != 0) {
		snprintf(err, errlen, "no EOF after the answer");
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}
