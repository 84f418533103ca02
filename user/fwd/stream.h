/* SPDX-License-Identifier: MIT */
#ifndef SG_FWD_STREAM_H
#define SG_FWD_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fwd/fwd.h"

struct edge;
struct evl_fd;
struct session;

/*
 * The user-space forwarders (splice and copy, and sockmap's episodes)
 * share one pump: per direction a bounded channel between src and dst,
 * filled while it has room and emptied while dst takes bytes.
 * Back-pressure is the bound: a full channel stops reading src, so the
 * sender's TCP window closes.
 */
struct stream_dir {
	struct evl_fd *src, *dst;
	uint64_t *bytes;
	size_t fill, cap;
	uint8_t eof;	   /* src sent FIN */
	uint8_t done;	   /* and everything is out, dst shut for writing */
	uint8_t in_wait;   /* waiting for EPOLLIN on src */
	uint8_t out_wait;  /* waiting for EPOLLOUT on dst */
	uint8_t unbounded; /* no yielding: pump until EAGAIN (edge-triggered) */
	uint8_t drained;   /* in() got less than it asked: src is empty */
	uint8_t whole;	   /* read/write: no read since src's last skb ended
			    * (the last read was short or found nothing) */
	struct stream_dir *other; /* the opposite direction, or NULL */
	/* the client's edge (TLS, WebSocket) on src (edge_src) or dst */
	struct edge *edge;
	uint8_t edge_src;
	int pipe[2];  /* splice */
	uint8_t *buf; /* read/write */
	size_t off;
	uint8_t owned; /* copy: buf is the direction's own, freed once empty */
};

struct stream_chan {
	/* > 0 bytes moved, 0 EOF (in only), -1 with errno */
	ssize_t (*in)(struct stream_dir *d);
	ssize_t (*out)(struct stream_dir *d);
	/*
	 * splice: EAGAIN from in() while bytes are in the pipe can mean the
	 * pipe has no free slot rather than no data; waiting for EPOLLIN then
	 * would spin, so the pump retries after out() made room instead.
	 */
	int ambiguous_eagain;
};

struct stream {
	const struct stream_chan *chan;
	struct stream_dir d[2]; /* up: client to backend; down */
	struct edge *edge;	/* owned: freed by stream_release() */
};

/* The read/write channel, and its parts: rw_room() makes the free space
 * contiguous and returns its size; rw_in() reads into it; rw_out()
 * sends. */
extern const struct stream_chan rw_chan;
size_t rw_room(struct stream_dir *d);
ssize_t rw_in(struct stream_dir *d);
ssize_t rw_out(struct stream_dir *d);

/*
 * Moves what one direction can move now. 0; -1: reading src failed; -2:
 * writing dst failed (errno set). Sets done once src's EOF is passed on.
 */
int stream_dir_pump(const struct stream_chan *ch, struct stream_dir *d);
/* The reset a failed stream_dir_pump() of direction i (0 up) means. */
struct fwd_res stream_dir_failed(int i, int r, int err);
void stream_setup(struct stream *st, const struct stream_chan *chan,
		  struct session *s, size_t cap);
/*
 * The client speaks through e (TLS, WebSocket): reads and writes of the
 * client go through it, its end is edge_shut(), and reading goes on
 * until EAGAIN (the edge may hold bytes that epoll cannot see). The
 * stream owns e from now on.
 */
void stream_take_edge(struct stream *st, struct edge *e);
/* Frees what the stream owns (its edge). */
void stream_release(struct stream *st);
/* Bytes in either direction's channel. */
size_t stream_buffered(const struct stream *st);
/* An event on w (NULL: none) of s: moves what can be moved now. */
struct fwd_res stream_io(struct session *s, struct stream *st, struct evl_fd *w,
			 uint32_t events);

#endif
