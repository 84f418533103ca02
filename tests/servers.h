/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_SERVERS_H
#define SG_TEST_SERVERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A listener on loopback (ephemeral port) and a thread that accepts on it;
 * each connection runs conn(ctx, fd) on a thread of its own, which closes
 * fd. 0 or -1. server_stop shuts the listener, joins, closes.
 */
int server_start(int *fd, uint16_t *port, pthread_t *th, int v6, int backlog,
		 void (*conn)(void *ctx, int fd), void *ctx);
void server_stop(int fd, pthread_t th);

/* Echo server: echoes until EOF, then closes. */
struct echo_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_int conns;
};
int echo_start(struct echo_srv *e, int v6);
void echo_stop(struct echo_srv *e);

/*
 * A backend that reads to EOF, then answers "got=N\n" and closes. Before
 * its first read it calls hold(hold_arg), when set, which returns once
 * the state the test wants has come (0) or never came (-1, kept in
 * hold_rc). With ack_every, it writes one byte back after each ack_every
 * bytes it read (a lockstep upload, sink_upload's chunk).
 */
struct sink_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	int (*hold)(void *arg);
	void *hold_arg;
	atomic_int hold_rc;
	size_t ack_every;
};
int sink_start(struct sink_srv *k);
/*
 * Through the gateway to the sink: upload len bytes, shut the write side,
 * expect "got=len\n" and then EOF. With chunk (the sink's ack_every),
 * each chunk waits for the sink's byte before the next: the gateway's
 * socket never holds more than a chunk. 0, or -1 with err set.
 */
int sink_upload(uint16_t gw_port, uint16_t sink_port, size_t len, size_t chunk,
		char *err, size_t errlen);
void sink_stop(struct sink_srv *k);

#endif
