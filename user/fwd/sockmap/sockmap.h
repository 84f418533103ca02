/* SPDX-License-Identifier: MIT */
#ifndef SG_SOCKMAP_H
#define SG_SOCKMAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockmap_bpf.h"

struct sockmap;

/* A socket whose congestion episode started or ended (struct sg_flow). */
typedef void (*sockmap_event_fn)(void *ctx, uint64_t cookie, uint32_t worker);

/*
 * Loads the verdict program, attaches it to the active map and pins the
 * maps under <base>/<pid>/. Returns NULL with a reason in why when the
 * kernel or our privileges do not allow it.
 */
struct sockmap *sockmap_load(const char *base, uint32_t max_socks,
			     sockmap_event_fn on_event, void *ctx, char *why,
			     size_t whylen);
/* The ring buffer's epoll fd, and its consumer (calls on_event). */
int sockmap_events_fd(struct sockmap *sm);
void sockmap_events_consume(struct sockmap *sm);
/* Detaches, unpins, frees. */
void sockmap_unload(struct sockmap *sm);
/* Removes the pins (the process exits; the maps go with it). */
void sockmap_unpin(struct sockmap *sm);
/* Before --user: the pin directory becomes uid's and its parent sticky
 * (mode 1733), so that the process can remove both at exit. 0 or -1. */
int sockmap_give_pins(struct sockmap *sm, uid_t uid, gid_t gid);
const char *sockmap_pin_dir(const struct sockmap *sm);

/*
 * Puts a session's two sockets in the maps: both into the redirect map,
 * then both under the verdict program, then SO_RCVLOWAT on each so the
 * bytes already in their TCP receive queues are run through the verdict.
 * rx_base: the bytes user space has read from each. Fills the sockets'
 * cookies. 0; 1 when the backend, half-closed by now, could not join the
 * verdict map (its bytes must be copied by the caller); or -1 with errno
 * set (nothing left in the maps).
 */
int sockmap_insert(struct sockmap *sm, int cli_fd, int be_fd, uint32_t worker,
		   uint64_t user, const uint32_t rx_base[2], uint64_t ck[2]);
/* Reads one socket's counters. 0 or -1. */
int sockmap_read(struct sockmap *sm, uint64_t ck, struct sg_sock *out);
/* Removes both sockets' entries; the counters are read first into out
 * and their flows into fout. */
void sockmap_remove(struct sockmap *sm, const uint64_t ck[2],
		    struct sg_sock out[2], struct sg_flow fout[2]);
/* The shared episode counters of a socket (struct sg_sock.slot). */
struct sg_flow *sockmap_flow(struct sockmap *sm, uint32_t slot);

#endif
