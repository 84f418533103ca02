// SPDX-License-Identifier: MIT
/* Event loop: epoll for fds, a binary min-heap for timers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"

#define EV_BATCH 256

struct evl {
	int epfd;
	int stop;
	uint64_t now;
	struct epoll_event events[EV_BATCH];
	int batch_next, batch_len; /* the batch being dispatched */
	struct evl_timer **heap;
	uint32_t heap_len, heap_cap;
	evl_check_cb check; /* after each batch: evl_on_check() */
	void *check_arg;
};

uint64_t evl_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct evl *evl_new(void)
{
	struct evl *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->now = evl_clock_ns();
	return loop;
}

void evl_free(struct evl *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->heap);
	free(loop);
}

void evl_stop(struct evl *loop)
{
	loop->stop = 1;
}

uint64_t evl_now(struct evl *loop)
{
	return loop->now;
}

void evl_fd_init(struct evl_fd *w, int fd, evl_fd_cb cb)
{
	w->fd = fd;
	w->mask = 0;
	w->cb = cb;
}

static void evl_forget(struct evl *loop, struct evl_fd *w)
{
	for (int i = loop->batch_next; i < loop->batch_len; i++)
		if (loop->events[i].data.ptr == w)
			loop->events[i].data.ptr = NULL;
}

int evl_fd_set(struct evl *loop, struct evl_fd *w, uint32_t mask)
{
	struct epoll_event ev = { .events = mask, .data.ptr = w };
	int op;

	if (mask == w->mask)
		return 0;
	if (mask == 0) {
		op = EPOLL_CTL_DEL;
		evl_forget(loop, w);
	} else {
		op = w->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	}
	if (epoll_ctl(loop->epfd, op, w->fd, &ev) < 0)
		return -1;
	w->mask = mask;
	return 0;
}

int evl_fd_close(struct evl *loop, struct evl_fd *w)
{
	int fd = w->fd;

	if (w->mask)
		evl_forget(loop, w);
	w->mask = 0;
	w->fd = -1;
	return fd < 0 ? 0 : close(fd);
}

int evl_fd_add_exclusive(struct evl *loop, struct evl_fd *w)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				  .data.ptr = w };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -1;
	w->mask = EPOLLIN;
	return 0;
}

/* Timer heap: heap[i]->idx == i + 1 at all times. */
static void heap_swap(struct evl *loop, uint32_t a, uint32_t b)
{
	struct evl_timer *t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->idx = a + 1;
	loop->heap[b]->idx = b + 1;
}

static void heap_up(struct evl *loop, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (loop->heap[p]->deadline <= loop->heap[i]->deadline)
			break;
		heap_swap(loop, p, i);
		i = p;
	}
}

static void heap_down(struct evl *loop, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < loop->heap_len &&
		    loop->heap[l]->deadline < loop->heap[m]->deadline)
			m = l;
		if (r < loop->heap_len &&
		    loop->heap[r]->deadline < loop->heap[m]->deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

void evl_timer_init(struct evl_timer *t, evl_timer_cb cb)
{
	t->deadline = 0;
	t->idx = 0;
	t->cb = cb;
}

int evl_timer_start(struct evl *loop, struct evl_timer *t, uint64_t after_ns)
{
	evl_timer_stop(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		uint32_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct evl_timer **h = realloc(loop->heap, cap * sizeof(*h));

		if (!h)
			return -1;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	t->deadline = evl_clock_ns() + after_ns;
	loop->heap[loop->heap_len] = t;
	t->idx = ++loop->heap_len;
	heap_up(loop, t->idx - 1);
	return 0;
}

void evl_timer_stop(struct evl *loop, struct evl_timer *t)
{
	uint32_t i;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	loop->heap_len--;
	if (i == loop->heap_len)
		return;
	loop->heap[i] = loop->heap[loop->heap_len];
	loop->heap[i]->idx = i + 1;
	heap_down(loop, i);
	heap_up(loop, i);
}

static int evl_wait_ms(struct evl *loop)
{
	uint64_t d;

	if (loop->heap_len == 0)
		return -1;
	if (loop->heap[0]->deadline <= loop->now)
		return 0;
	d = (loop->heap[0]->deadline - loop->now + 999999) / 1000000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static void evl_run_timers(struct evl *loop)
{
	while (loop->heap_len && loop->heap[0]->deadline <= loop->now) {
		struct evl_timer *t = loop->heap[0];

		evl_timer_stop(loop, t);
		t->cb(loop, t); /* may free t or re-arm it */
	}
}

int evl_run(struct evl *loop)
{
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, loop->events, EV_BATCH,
				   evl_wait_ms(loop));

		if (n < 0 && errno != EINTR)
			return -1;
		loop->now = evl_clock_ns();
		loop->batch_len = n > 0 ? n : 0;
		for (loop->batch_next = 0;
		     loop->batch_next < loop->batch_len;) {
			struct epoll_event *e =
				&loop->events[loop->batch_next++];
			struct evl_fd *w = e->data.ptr;

			if (w)
				w->cb(loop, w, e->events);
		}
		loop->batch_len = 0;
		evl_run_timers(loop);
		if (loop->check)
			loop->check(loop, loop->check_arg);
	}
	return 0;
}

void evl_on_check(struct evl *loop, evl_check_cb cb, void *arg)
{
	loop->check = cb;
	loop->check_arg = arg;
}
