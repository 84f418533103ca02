/* SPDX-License-Identifier: MIT */
/* Structs shared by the BPF programs (bpf/) and user space (user/). */
#ifndef SOCKGATE_BPF_H
#define SOCKGATE_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

enum sg_role {
	SG_ROLE_CLIENT = 1,
	SG_ROLE_BACKEND = 2,
};

/* Pending skips user space has not caught up with: see struct sg_sock. */
#define SG_SKIPS 8

/*
 * One per socket in the sessions map, keyed by its socket cookie. The
 * counters are what the verdict program redirected from this socket to
 * its peer: for the client socket the upstream bytes, for the backend
 * socket the downstream ones.
 */
struct sg_sock {
	__u64 peer;       /* the other socket's cookie */
	__u64 bytes;      /* redirected to the peer */
	__u64 segs;       /* skbs redirected */
	__u64 drops;      /* skbs the redirect refused (peer gone) */
	__u64 passed;     /* bytes handed to the gateway once congested */
	__u64 user;       /* the gateway's handle of the session */
	__u32 role;       /* enum sg_role */
	__u32 owner;      /* pid of the gateway */
	__u32 worker;     /* its worker that owns the session */
	__u32 congested;  /* set by the verdict for good: see below */
	__u32 peer_wseq0; /* the peer's TCP write_seq at the first redirect */
	__u32 wseq_set;
	/*
	 * Retransmitted bytes the verdict must not forward twice (below).
	 * rx_base: bytes user space read from the socket before it joined
	 * the map. dup_drop: skbs that held only such bytes, dropped.
	 * A partly new skb is passed whole; user space skips its first
	 * skip_len[k] bytes at offset skip_off[k] of the passed bytes.
	 */
	__u64 rx_base;
	__u64 dup_drop;
	__u64 dup_skip;   /* total of skip_len */
	__u64 skip_off[SG_SKIPS];
	__u32 skip_len[SG_SKIPS];
	__u32 skips;      /* entries written; entry k is at k % SG_SKIPS */
	__u32 pad;
};

/*
 * When more than this many bytes redirected from a socket wait in the
 * kernel for the peer's TCP send buffer (the kernel does not slow a
 * redirecting sender down by itself), the verdict marks the socket
 * congested, tells the gateway, and from then on passes that socket's
 * bytes to its own receive queue (SK_PASS), where they are charged to the
 * socket, so its TCP window closes when nobody reads them. The gateway
 * reads them once the redirected bytes have left, and copies them.
 */
#ifndef SG_BACKLOG_MAX
#define SG_BACKLOG_MAX (4u << 20)
#endif

/* Ring buffer record: socket `cookie` is congested. */
struct sg_event {
	__u64 cookie;
	__u32 worker;
	__u32 pad;
};

#endif
