/* SPDX-License-Identifier: MIT */
#ifndef SG_SOCK_H
#define SG_SOCK_H

/* Waits before accepting again after a failed accept (fds exhausted). */
#define ACCEPT_RETRY_NS 100000000ull /* 100 ms */

/* SO_LINGER 0: closing fd sends RST and drops unsent data. */
void sock_set_reset(int fd);
/* Closes an accepted socket with RST, at once. */
void sock_reset_close(int fd);
/* TCP_INFO of fd into *ti (zeroed first), as large as the caller's
 * struct tcp_info: <linux/tcp.h>'s has fields glibc's lacks. 0, or -1
 * with errno set. */
#define sock_tcp_info(fd, ti) sock_tcp_info_len(fd, ti, sizeof(*(ti)))
int sock_tcp_info_len(int fd, void *ti, unsigned len);
/* TCP_NODELAY. 0, or -1 with errno. */
int sock_nodelay(int fd);
/*
 * Keepalive when idle > 0: the first probe after idle seconds of
 * silence, then one every interval, count unanswered ones (or as long
 * for data unacknowledged: TCP_USER_TIMEOUT) end the connection with
 * ETIMEDOUT. 0, or -1 with errno of the first that failed.
 */
int sock_keepalive(int fd, int idle, int interval, int count);
/* Both. A listener's options pass to the sockets it accepts. */
int sock_tune(int fd, int idle, int interval, int count);
/* Bytes in fd's receive queue (FIONREAD) in *n. 0, or -1. */
int sock_unread(int fd, int *n);

#endif
