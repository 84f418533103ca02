/* SPDX-License-Identifier: MIT */
/* Structs shared by the BPF programs (bpf/) and user space (user/). */
#ifndef SOCKMAP_BPF_H
#define SOCKMAP_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* include/net/tcp_states.h: the states once the peer's FIN has arrived */
enum sg_tcp_state {
	SG_TCP_CLOSE = 7,
	SG_TCP_CLOSE_WAIT = 8,
	SG_TCP_LAST_ACK = 9,
	SG_TCP_CLOSING = 11,
};

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
	__u64 peer;	  /* the other socket's cookie */
	__u64 bytes;	  /* redirected to the peer */
	__u64 segs;	  /* skbs redirected */
	__u64 drops;	  /* skbs the redirect refused (peer gone) */
	__u64 user;	  /* the gateway's handle of the session */
	__u32 role;	  /* enum sg_role */
	__u32 owner;	  /* pid of the gateway */
	__u32 worker;	  /* its worker that owns the session */
	__u32 slot;	  /* this socket's struct sg_flow in sg_flows */
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
	__u64 dup_skip; /* total of skip_len */
	__u64 skip_off[SG_SKIPS];
	__u32 skip_len[SG_SKIPS];
};

/*
 * Congestion episodes, one struct per socket in the BPF_F_MMAPABLE array
 * sg_flows, which the gateway maps: both sides share these counters
 * without a syscall.
 *
 * Bytes the verdict redirects wait in the peer's psock queue, which the
 * kernel does not bound, while the peer's TCP send buffer is full. When
 * more than a high mark of them wait (sg_high_mark()), the verdict starts
 * an episode: it passes this socket's skbs to its own receive queue
 * (SK_PASS), where they are charged to it, so its TCP window closes when
 * nobody reads them, and tells the gateway. The gateway waits until the
 * redirected bytes have reached the peer's TCP, then reads the passed
 * bytes and writes them to the peer, publishing `done` after each write.
 * The verdict ends the episode, per skb, only when done == passed (every
 * byte it passed is in the peer's TCP already) and the peer can take
 * more: that skb and the next are redirected again, behind the gateway's
 * bytes, so nothing is reordered. Only the verdict starts and ends
 * episodes; the gateway copies only bytes of the episode it waited for
 * (`episodes` unchanged since).
 */
struct sg_flow {
	__u64 passed;	  /* verdict: bytes passed to the gateway, in all */
	__u64 done;	  /* gateway: of those, written to the peer or
			   * skipped as repeats */
	__u64 written;	  /* gateway: bytes it wrote to the peer */
	__u32 congested;  /* verdict: an episode is on */
	__u32 episodes;	  /* verdict: episodes started */
	__u32 resumed;	  /* verdict: episodes ended */
	__u32 skips;	  /* verdict: repeats noted (sg_sock.skip_*); entry k
			   * is at k % SG_SKIPS */
	__u32 skips_done; /* gateway: of those, skipped */
	__u32 test_lag;	  /* gateway, tests only: the verdict sees TCP's
			   * byte count this much lower, so the next bytes
			   * look repeated (SOCKGATE_TEST_REPEAT_EPISODE) */
};

/*
 * The high mark: an episode starts when more than SG_HIGH_MULT times the
 * peer's send buffer (16 MiB as the gateway sets it: 64 MiB), and at
 * least SG_HIGH_MIN, of redirected bytes wait for the peer's TCP. Twice
 * the send buffer gave 100-170 episodes in 3 s of a 2 GB/s stream here,
 * four times 90-120 and 80-90% of the bytes through the kernel, eight
 * times a little more for twice the memory (bench/). The low mark is
 * zero: an episode ends when none wait (done == passed).
 */
#ifndef SG_HIGH_MIN
#define SG_HIGH_MIN (1u << 20)
#endif
#define SG_HIGH_MULT 4

/* Ring buffer record: socket `cookie` is congested. */
struct sg_event {
	__u64 cookie;
	__u32 worker;
	__u32 pad;
};

#endif
