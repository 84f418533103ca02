/* SPDX-License-Identifier: MIT */
#ifndef SG_LOOP_H
#define SG_LOOP_H

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
struct evl;
struct evl_fd;
struct evl_timer;

typedef void (*evl_fd_cb)(struct evl *loop, struct evl_fd *w, uint32_t events);
typedef void (*evl_timer_cb)(struct evl *loop, struct evl_timer *t);
typedef void (*evl_check_cb)(struct evl *loop, void *arg);

struct evl_fd {
	int fd;
	uint32_t mask; /* EPOLLIN/EPOLLOUT/EPOLLRDHUP currently registered */
	evl_fd_cb cb;
};

struct evl_timer {
	uint64_t deadline; /* CLOCK_MONOTONIC ns */
	uint32_t idx;	   /* heap slot + 1; 0 when not armed */
	evl_timer_cb cb;
};

struct evl *evl_new(void);
void evl_free(struct evl *loop);
/* Runs until evl_stop(); returns 0, or -1 if epoll_wait failed. */
int evl_run(struct evl *loop);
void evl_stop(struct evl *loop);
uint64_t evl_now(struct evl *loop);
/* cb runs after each batch of events and timers, for checks on what the
 * callbacks changed (a worker's session count) without them knowing who
 * looks; NULL: none. */
void evl_on_check(struct evl *loop, evl_check_cb cb, void *arg);
uint64_t evl_clock_ns(void);

void evl_fd_init(struct evl_fd *w, int fd, evl_fd_cb cb);
/*
 * Sets the interest mask; 0 removes the fd from epoll (EPOLLHUP/EPOLLERR
 * would otherwise keep firing for a socket nobody waits on). Returns -1 with
 * errno set if epoll_ctl failed. Safe to call from inside callbacks: events
 * already fetched for a removed watcher are dropped.
 */
int evl_fd_set(struct evl *loop, struct evl_fd *w, uint32_t mask);
/* Adds an fd shared by several loops with EPOLLEXCLUSIVE (no MOD possible). */
int evl_fd_add_exclusive(struct evl *loop, struct evl_fd *w);
/*
 * Closes w's fd without an EPOLL_CTL_DEL: the kernel drops the
 * registration with the last reference to the file, and the session
 * sockets have no other (never dup'd, no fork after start). Events of
 * the current batch for w are forgotten. 0, or -1 from close().
 */
int evl_fd_close(struct evl *loop, struct evl_fd *w);

void evl_timer_init(struct evl_timer *t, evl_timer_cb cb);
int evl_timer_start(struct evl *loop, struct evl_timer *t, uint64_t after_ns);
void evl_timer_stop(struct evl *loop, struct evl_timer *t);
static inline int evl_timer_active(const struct evl_timer *t)
{
	return t->idx != 0;
}

#endif
