/* SPDX-License-Identifier: MIT */
#ifndef SG_TEST_SOCK_H
#define SG_TEST_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

int tcp_connect(const char *host, uint16_t port);
/* A blocking IPv4 connection to 127.0.0.1:port from source address src
 * (NULL: any); -1 with errno kept when connect() fails. */
int tcp_connect_from(const char *src, uint16_t port);
/* A client from src (127.0.0.x) with token: the status it got, or 0
 * (reset, EOF); its fd in *fdp when 200 and fdp is not NULL. */
int gw_dial_from(const char *src, uint16_t port, const char *token, int *fdp);
/* Connects, sends line (no "\n" added), reads the 3-byte status: 200...
 * Returns the code (fd kept in *fd, or closed if fd is NULL), 0 if the
 * gateway closed without a status, -1 on a socket error. */
int gw_dial(uint16_t port, const char *line, size_t len, int *fd);
/* The same to the gateway at host (127.0.0.1 or ::1). */
int gw_dial_at(const char *host, uint16_t port, const char *line, size_t len,
	       int *fdp);
int gw_dial_token(uint16_t port, const char *token, int *fd);
ssize_t write_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes unless EOF first; returns bytes read. */
ssize_t read_full(int fd, void *buf, size_t len, int timeout_ms);
/* Reads until EOF; returns bytes (or -1 on error/timeout). */
/* Reads to EOF: the bytes read, or -1 with errno (ECONNRESET for a
 * reset, ETIMEDOUT when timeout_ms passed). */
ssize_t read_to_eof(int fd, int timeout_ms);
/* A listener on 127.0.0.1 (or ::1 with v6 1, 0.0.0.0 with v6 LISTEN_ANY4:
 * a host of a network namespace), ephemeral port. */
#define LISTEN_ANY4 2
int tcp_listen(int v6, uint16_t *port, int backlog);

#endif
