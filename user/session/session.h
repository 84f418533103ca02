/* SPDX-License-Identifier: MIT */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/addr.h"
#include "core/loop.h"
#include "auth/token_legacy.h"

struct worker;
struct resolve_req;
struct session;
struct edge;

/*
 * A session's stages. The callbacks of s->cli, s->be and s->timer are
 * session/life.c's from accept to close: they dispatch on the state to
 * the stage, which reports an outcome (struct stage_res, struct fwd_res)
 * that life.c acts on, so that one file shows every owner and every end.
 *   HANDSHAKE  session/handshake.c reads the token line; timer: its deadline
 *   CONNECT    session/backend.c resolves and connects; timer: DNS or attempt
 *   FLUSH      session/handshake.c writes "200" and the leftover; no timer
 *   FORWARD    fwd/path.c and its forwarder move bytes; timer: the path's
 *              promotion check, or the forwarder's (sockmap's poll)
 *   LINGER     session/life.c drains after an error reply; timer: its end
 */
enum sess_state {
	SESS_HANDSHAKE,
	SESS_CONNECT,
	SESS_FLUSH,
	SESS_FORWARD,
	SESS_LINGER,
};

/* What a stage before forwarding reports to session/life.c. */
enum stage_act {
	STAGE_WAIT, /* more to come: it waits for an event or its timer */
	STAGE_DONE, /* this stage is over: the next one starts */
	STAGE_FAIL, /* answer code (400, 401, 502, 504), then linger */
	STAGE_END,  /* end now, with RST when rst */
};

struct stage_res {
	uint8_t act;	  /* enum stage_act */
	uint8_t code;	  /* FAIL: enum sg_code */
	uint8_t rst;	  /* END */
	const char *why;  /* FAIL, END: for the log */
	const char *kind; /* FAIL: what the summary under load counts it by
			   * (session/hslog.h); NULL: why names a host */
};

#define STAGE_OK ((struct stage_res){ .act = STAGE_WAIT })
#define STAGE_NEXT ((struct stage_res){ .act = STAGE_DONE })

static inline struct stage_res stage_fail(int code, const char *why,
					  const char *kind)
{
	return (struct stage_res){ .act = STAGE_FAIL,
				   .code = (uint8_t)code,
				   .why = why,
				   .kind = kind };
}

static inline struct stage_res stage_end(const char *why, int rst)
{
	return (struct stage_res){ .act = STAGE_END,
				   .rst = (uint8_t)rst,
				   .why = why };
}

/* Handshake and connect state, freed once the session forwards. */
struct sess_setup {
	char buf[2 * TOKEN_LINE_MAX];
	uint32_t len;	   /* bytes in buf */
	uint32_t left_off; /* leftover: buf[left_off..len), after the newline */
	uint32_t reply_off;
	uint32_t proxy_off; /* PROXY header bytes written (s->proxy_len) */
	uint8_t proxy[108];
	uint8_t reply[3];
	uint16_t port;
	uint8_t srv;	/* host is an SRV name; the addresses carry ports */
	int attempt;	/* connect attempts started */
	int naddr, cur; /* resolved addresses, the one being tried */
	int last_err;
	char why[320]; /* a failure's reason, built by its stage */
	/* the worker's handshakes in progress, newest first: session/session.c */
	struct session *hs_prev, *hs_next;
	struct sockaddr_storage *addr;
	struct resolve_req *dns;
	/* a client in TLS or WebSocket (edge/edge.h); NULL: in clear. Its
	 * forwarder takes it (fwd/path.c) */
	struct edge *edge;
	uint8_t sniffed;      /* its first byte looked at (TLS or not) */
	uint16_t http_status; /* a WebSocket request refused: HTTP's answer */
	uint64_t tid;	      /* the token's id (auth/token_v2.h): FORWARD's */
	uint64_t connect_ns;  /* the first connect attempt's start */
	char host[254];
};

/*
 * One per connection, sized for the many idle ones: with the sockmap
 * forwarder's state in tail, 232 bytes of its worker's pool (the pool's
 * object size is path_session_size()).
 */
struct session {
	struct worker *w;
	struct session *prev, *next;
	struct evl_fd cli;	/* client socket */
	struct evl_fd be;	/* backend socket, fd -1 until connecting */
	struct evl_timer timer; /* see enum sess_state */
	uint8_t state;		/* enum sess_state: session_set_state() */
	uint8_t mode; /* enum fwd_mode of the forwarder; MODE_AUTO: none */
	/* flags, packed: the idle sockmap session stays 232 bytes */
	uint8_t promote : 2;  /* fwd/path.c, enum promote: may move from copy */
	uint8_t promoted : 1; /* did */
	uint8_t hs_whole : 1; /* the handshake's last read took all there was */
	uint8_t quiet : 1; /* a failure counted, not logged: session/hslog.h */
	uint8_t ip_counted : 1; /* in --max-conns-per-ip's count */
	uint8_t setup_gone : 1; /* setup freed: tid holds the token's id */
	uint8_t proxy_len;	/* PROXY header bytes sent to the backend */
	uint8_t edge;		/* enum edge_kind: TLS, WebSocket, neither */
	uint16_t line_len;	/* the token line with its newline, bytes */
	/* the handshake's state until FORWARD frees it (session_setup());
	 * then, in the same 8 bytes, the token's id, for revocations and
	 * the control socket */
	union {
		struct sess_setup *setup;
		uint64_t tid;
	};
	void *fwd;			   /* forwarder state */
	struct sg_caddr cli_addr, be_addr; /* for the log */
	uint64_t start_ns;
	uint64_t bytes_up, bytes_down;
	/* a forwarder's fixed state (struct fwd_ops.tail bytes) */
	_Alignas(8) unsigned char tail[];
};

/* A worker's sessions: every live one, for drain and stop, and of them
 * the handshakes in progress, newest first (the oldest gives way).
 * Written by session.c only. */
struct sessions {
	struct session *all;
	unsigned n;
	struct session *hs_head, *hs_tail;
	unsigned hs_count;
};

/* A session for an accepted client socket, in the handshake state with
 * the given callbacks; NULL when out of memory (the fd is closed). */
struct session *session_new(struct worker *w, int fd, const union sg_addr *peer,
			    evl_fd_cb cli_cb, evl_fd_cb be_cb,
			    evl_timer_cb timer_cb);
/* Moves s to a new stage; logs old -> new at debug level. */
void session_set_state(struct session *s, enum sess_state to);
/* Closes one of its sockets, with RST when rst (unsent data dropped). */
void session_close_fd(struct session *s, struct evl_fd *io, int rst);
/* Frees the handshake state once it is not needed. */
void session_setup_free(struct session *s);
/* The handshake's state, or NULL once it is freed. */
static inline struct sess_setup *session_setup(const struct session *s)
{
	return s->setup_gone ? NULL : s->setup;
}

/* The token's id (auth/token_v2.h), 0 before the token line is read. */
static inline uint64_t session_tid(const struct session *s)
{
	const struct sess_setup *u = session_setup(s);

	return u ? u->tid : s->tid;
}
/* The worker's oldest handshake in progress, or NULL. */
struct session *session_oldest_handshake(struct worker *w);
/* The end: both sockets closed (RST when rst), counters added to the
 * metrics. Logs nothing: session_end() (session/life.h) does. */
void session_free(struct session *s, int rst);
/* Milliseconds since accept. */
static inline unsigned long long session_age_ms(const struct session *s)
{
	return (evl_clock_ns() - s->start_ns) / 1000000;
}

#endif
