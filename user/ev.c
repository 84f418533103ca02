// SPDX-License-Identifier: MIT
/* Event loop: epoll for fds, a binary min-heap for timers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

#define EV_BATCH 256

struct ev_loop {
	int epfd;
	int stop;
	uint64_t now;
	struct epoll_event events[EV_BATCH];
	int ev_next, ev_count; /* the batch being dispatched */
	struct ev_timer **heap;
	uint32_t heap_len, heap_cap;
};

uint64_t ev_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct ev_loop *ev_loop_new(void)
{
	struct ev_loop *loop = calloc(1, sizeof(*loop));

	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	loop->now = ev_clock_ns();
	return loop;
}

void ev_loop_free(struct ev_loop *loop)
{
	if (!loop)
		return;
	close(loop->epfd);
	free(loop->heap);
	free(loop);
}

void ev_break(struct ev_loop *loop)
{
	loop->stop = 1;
}

uint64_t ev_now(struct ev_loop *loop)
{
	return loop->now;
}

void ev_io_init(struct ev_io *w, int fd, ev_io_cb cb)
{
	w->fd = fd;
	w->mask = 0;
	w->cb = cb;
}

static void ev_forget(struct ev_loop *loop, struct ev_io *w)
{
	for (int i = loop->ev_next; i < loop->ev_count; i++)
		if (loop->events[i].data.ptr == w)
			loop->events[i].data.ptr = NULL;
}

int ev_io_set(struct ev_loop *loop, struct ev_io *w, uint32_t mask)
{
	struct epoll_event ev = { .events = mask, .data.ptr = w };
	int op;

	if (mask == w->mask)
		return 0;
	if (mask == 0) {
		op = EPOLL_CTL_DEL;
		ev_forget(loop, w);
	} else {
		op = w->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	}
	if (epoll_ctl(loop->epfd, op, w->fd, &ev) < 0)
		return -1;
	w->mask = mask;
	return 0;
}

int ev_io_close(struct ev_loop *loop, struct ev_io *w)
{
	int fd = w->fd;

	if (w->mask)
		ev_forget(loop, w);
	w->mask = 0;
	w->fd = -1;
	return fd < 0 ? 0 : close(fd);
}

int ev_io_add_exclusive(struct ev_loop *loop, struct ev_io *w)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				  .data.ptr = w };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -1;
	w->mask = EPOLLIN;
	return 0;
}

/* Timer heap: heap[i]->idx == i + 1 at all times. */
static void heap_swap(struct ev_loop *loop, uint32_t a, uint32_t b)
{
	struct ev_timer *t = loop->heap[a];

	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->idx = a + 1;
	loop->heap[b]->idx = b + 1;
}

static void heap_up(struct ev_loop *loop, uint32_t i)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (loop->heap[p]->deadline <= loop->heap[i]->deadline)
			break;
		heap_swap(loop, p, i);
		i = p;
	}
}

static void heap_down(struct ev_loop *loop, uint32_t i)
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

void ev_timer_init(struct ev_timer *t, ev_timer_cb cb)
{
	t->deadline = 0;
	t->idx = 0;
	t->cb = cb;
}

int ev_timer_start(struct ev_loop *loop, struct ev_timer *t, uint64_t after_ns)
{
	ev_timer_stop(loop, t);
	if (loop->heap_len == loop->heap_cap) {
		uint32_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		struct ev_timer **h = realloc(loop->heap, cap * sizeof(*h));

		if (!h)
			return -1;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	t->deadline = ev_clock_ns() + after_ns;
	loop->heap[loop->heap_len] = t;
	t->idx = ++loop->heap_len;
	heap_up(loop, t->idx - 1);
	return 0;
}

void ev_timer_stop(struct ev_loop *loop, struct ev_timer *t)
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

static int ev_wait_ms(struct ev_loop *loop)
{
	uint64_t d;

	if (loop->heap_len == 0)
		return -1;
	if (loop->heap[0]->deadline <= loop->now)
		return 0;
	d = (loop->heap[0]->deadline - loop->now + 999999) / 1000000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static void ev_run_timers(struct ev_loop *loop)
{
	while (loop->heap_len && loop->heap[0]->deadline <= loop->now) {
		struct ev_timer *t = loop->heap[0];

		ev_timer_stop(loop, t);
		t->cb(loop, t); /* may free t or re-arm it */
	}
}

int ev_run(struct ev_loop *loop)
{
	while (!loop->stop) {
		int n = epoll_wait(loop->epfd, loop->events, EV_BATCH,
				   ev_wait_ms(loop));

		if (n < 0 && errno != EINTR)
			return -1;
		loop->now = ev_clock_ns();
		loop->ev_count = n > 0 ? n : 0;
		for (loop->ev_next = 0; loop->ev_next < loop->ev_count;) {
			struct epoll_event *e = &loop->events[loop->ev_next++];
			struct ev_io *w = e->data.ptr;

			if (w)
				w->cb(loop, w, e->events);
		}
		loop->ev_count = 0;
		ev_run_timers(loop);
	}
	return 0;
}
