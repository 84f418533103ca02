/* SPDX-License-Identifier: MIT */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stdint.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ev.h"
#include "metrics.h"
#include "token.h"

struct worker;
struct resolve_req;
struct fwd_ops;

enum sess_state {
	SESS_HANDSHAKE, /* reading the token line */
	SESS_CONNECT,   /* resolving and connecting to the backend */
	SESS_FLUSH,     /* writing "200" and the leftover bytes */
	SESS_FORWARD,   /* a forwarder owns the bytes */
	SESS_LINGER,    /* error reply sent; draining the client, then close */
};

/* Handshake and connect state, freed once the session forwards. */
struct sess_setup {
	char buf[2 * TOKEN_LINE_MAX];
	uint32_t len;      /* bytes in buf */
	uint32_t left_off; /* leftover: buf[left_off..len), after the newline */
	uint32_t reply_off;
	uint8_t reply[3];
	uint16_t port;
	int attempt;      /* connect attempts started */
	int naddr, cur;   /* resolved addresses, the one being tried */
	int last_err;
	struct sockaddr_storage *addr;
	struct resolve_req *dns;
	char host[254];
};

/* An IPv4 or IPv6 peer address, without sockaddr_storage's 128 bytes. */
union sg_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* The same, packed for the close log: 20 bytes instead of 28. */
struct sg_caddr {
	uint8_t ip[16]; /* IPv4: the first 4 */
	uint16_t port;  /* host order */
	uint8_t family; /* AF_INET, AF_INET6, or 0: none */
};

/*
 * One per connection, sized for the many idle ones: with the sockmap
 * forwarder's state after it, 232 bytes of its worker's pool.
 */
struct session {
	struct worker *w;
	struct session *prev, *next;
	struct ev_io cli; /* client socket */
	struct ev_io be;  /* backend socket, fd -1 until connecting */
	struct ev_timer timer; /* handshake deadline, then the forwarder's */
	uint8_t state;
	uint8_t mode; /* enum fwd_mode of the forwarder; MODE_AUTO: none */
	uint8_t promote; /* enum promote: may move from copy on */
	uint8_t promoted; /* did */
	uint8_t hs_whole; /* the handshake's last read took all there was */
	uint16_t line_len; /* the token line with its newline, bytes */
	struct sess_setup *setup;
	void *fwd;    /* forwarder state */
	struct sg_caddr cli_addr, be_addr; /* for the log */
	uint64_t start_ns;
	uint64_t bytes_up, bytes_down;
};

/* Takes an accepted client socket. 0, or -1 (the fd is closed). */
int session_new(struct worker *w, int fd, const union sg_addr *peer);
void sg_caddr_set(struct sg_caddr *c, const struct sockaddr *sa);
/* "1.2.3.4:5" or "[::1]:5" */
void sg_caddr_fmt(const struct sg_caddr *c, char *out, size_t len);
/* Ends the session: both sockets closed, reason logged. */
void session_close(struct session *s, const char *reason);
/* Ends it with RST to both peers (an error on one side). */
void session_reset(struct session *s, const char *reason);
/* Answers an error code, then lingers briefly so the client reads it. */
void session_fail(struct session *s, enum sg_code code, const char *reason);
enum promote {
	PROMOTE_LATER = 1, /* mode auto: once it has lasted --promote-after,
			    * to sockmap when quiet, to splice when busy */
	PROMOTE_SOON,      /* mode sockmap: once no skb is half read */
};

/*
 * Moves a copy session whose buffers are empty to `to`: sockmap (which
 * takes the bytes read so far from the session's counters and line_len;
 * no skb may be half read) or splice. It stays on copy if `to` cannot
 * take it. May end the session.
 */
void session_promote(struct session *s, const struct fwd_ops *to);
/* n bytes of a session's were freed: trims the heap after many. */
void session_freed(struct worker *w, size_t n);
/* The backend socket s->be.fd is connected. */
void session_connected(struct session *s);

/* backend.c: resolve and connect, then session_connected/session_fail. */
void backend_start(struct session *s, const struct token_addr *a);
void backend_abort(struct session *s);

#endif
