/* SPDX-License-Identifier: MIT */
#ifndef SOCKGATE_CLIENT_H
#define SOCKGATE_CLIENT_H

/*
 * A client of a sockgate gateway: connect, send the token line, read the
 * 3-byte status, and hand back the socket positioned right after it, so
 * that the backend's first bytes (a greeting that came in the same
 * segment as the status) are still there to read. libc only.
 */

/*
 * Dials host:port (a name, an IPv4 or an IPv6 address) and presents
 * token. Returns a connected, blocking socket with TCP_NODELAY on, or -1
 * with *status set: the gateway's code (400, 401, 502, 504), or 0 for a
 * local failure with errno set (ETIMEDOUT: no status within timeout_ms;
 * EPROTO: a short or malformed status). timeout_ms bounds the connect
 * and the status each; <= 0: no limit.
 */
int sg_dial(const char *host, const char *port, const char *token,
	    int timeout_ms, int *status);

/* The TCP connect alone (the TLS client's first step): a non-blocking
 * socket with TCP_NODELAY on, connected within timeout_ms; -1 with
 * errno. */
int sg_connect(const char *host, const char *port, int timeout_ms);

/* The same without blocking, for event loops: sg_dial_start, then
 * sg_dial_step whenever the fd (d->fd) is ready for the events it
 * asked for, until it returns SG_DIAL_DONE or SG_DIAL_FAILED. */
enum sg_dial_state {
	SG_DIAL_FAILED = -1,
	SG_DIAL_DONE = 0,
	SG_DIAL_WANT_READ = 1,
	SG_DIAL_WANT_WRITE = 2,
};

struct sg_dialer {
	int fd;
	int status; /* as sg_dial's *status once done or failed */
	int step;   /* internal */
	char line[4200];
	unsigned len, off;
	char code[4];
	unsigned got;
};

/* Resolves host (this part blocks: pass an address to avoid it) and
 * starts the connect. SG_DIAL_WANT_WRITE, or SG_DIAL_FAILED. */
int sg_dial_start(struct sg_dialer *d, const char *host, const char *port,
		  const char *token);
/* Moves on: SG_DIAL_WANT_READ or _WANT_WRITE (wait for that on d->fd),
 * SG_DIAL_DONE (d->fd is the session's, non-blocking) or SG_DIAL_FAILED
 * (d->status, errno; the fd is closed). */
int sg_dial_step(struct sg_dialer *d);

#endif
