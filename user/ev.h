/* SPDX-License-Identifier: MIT */
#ifndef SG_EV_H
#define SG_EV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

/* A callback's owner, from the watcher embedded in it. */
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

/*
 * A tiny epoll loop, one per worker thread. Watchers are embedded in their
 * owners (sessions, listeners) and epoll carries a pointer to them, so the
 * loop needs no table sized to RLIMIT_NOFILE per thread.
 */
struct ev_loop;
struct ev_io;
struct ev_timer;

typedef void (*ev_io_cb)(struct ev_loop *loop, struct ev_io *w,
			 uint32_t events);
typedef void (*ev_timer_cb)(struct ev_loop *loop, struct ev_timer *t);

struct ev_io {
	int fd;
	uint32_t mask; /* EPOLLIN/EPOLLOUT/EPOLLRDHUP currently registered */
	ev_io_cb cb;
};

struct ev_timer {
	uint64_t deadline; /* CLOCK_MONOTONIC ns */
	uint32_t idx;	   /* heap slot + 1; 0 when not armed */
	ev_timer_cb cb;
};

struct ev_loop *ev_loop_new(void);
void ev_loop_free(struct ev_loop *loop);
/* Runs until ev_break(); returns 0, or -1 if epoll_wait failed. */
int ev_run(struct ev_loop *loop);
void ev_break(struct ev_loop *loop);
uint64_t ev_now(struct ev_loop *loop);
uint64_t ev_clock_ns(void);

void ev_io_init(struct ev_io *w, int fd, ev_io_cb cb);
/*
 * Sets the interest mask; 0 removes the fd from epoll (EPOLLHUP/EPOLLERR
 * would otherwise keep firing for a socket nobody waits on). Returns -1 with
 * errno set if epoll_ctl failed. Safe to call from inside callbacks: events
 * already fetched for a removed watcher are dropped.
 */
int ev_io_set(struct ev_loop *loop, struct ev_io *w, uint32_t mask);
/* Adds an fd shared by several loops with EPOLLEXCLUSIVE (no MOD possible). */
int ev_io_add_exclusive(struct ev_loop *loop, struct ev_io *w);
/*
 * Closes w's fd without an EPOLL_CTL_DEL: the kernel drops the
 * registration with the last reference to the file, and the session
 * sockets have no other (never dup'd, no fork after start). Events of
 * the current batch for w are forgotten. 0, or -1 from close().
 */
int ev_io_close(struct ev_loop *loop, struct ev_io *w);

void ev_timer_init(struct ev_timer *t, ev_timer_cb cb);
int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ns);
void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t);
static inline int ev_timer_active(const struct ev_timer *t)
{
	return t->idx != 0;
}

#endif
