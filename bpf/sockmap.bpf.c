// SPDX-License-Identifier: GPL-2.0
/*
 * sockgate's kernel data path: a stream verdict program that redirects
 * every skb a session socket receives to its peer's egress, and counts it.
 *
 * Two socket maps, so that no skb can be redirected to a socket that is
 * not there yet: user space puts both sockets of a session in sg_peers
 * (the redirect targets, no program attached) before it puts either in
 * sg_active (the verdict program is attached to that one).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "sockmap_bpf.h"

/* The fields we read of the kernel's TCP socket, relocated by CO-RE. */
struct sock {
	int sk_sndbuf;
	int sk_wmem_queued;
} __attribute__((preserve_access_index));

struct inet_sock {
	struct sock sk;
} __attribute__((preserve_access_index));

struct inet_connection_sock {
	struct inet_sock icsk_inet;
} __attribute__((preserve_access_index));

struct tcp_sock {
	struct inet_connection_sock inet_conn;
	__u32 write_seq;
	__u64 bytes_received;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536); /* set by the loader */
	__type(key, __u64);	    /* socket cookie */
	__type(value, __u64);
} sg_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} sg_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sg_sock);
} sg_sessions SEC(".maps");

/* struct sg_flow by sg_sock.slot, mapped by the gateway */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sg_flow);
} sg_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} sg_events SEC(".maps");

static void notify(struct sg_sock *s, __u64 cookie)
{
	struct sg_event *ev = bpf_ringbuf_reserve(&sg_events, sizeof(*ev), 0);

	if (ev) {
		ev->cookie = cookie;
		ev->worker = s->worker;
		ev->pad = 0;
		bpf_ringbuf_submit(ev, 0);
	}
}

/* What the verdict reads of a session socket's TCP state. */
struct tcp_view {
	__u64 bytes_received;
	__u32 write_seq;
	__u32 state;
	__s32 sndbuf;
	__s32 wmem_queued;
};

/* Reads the TCP socket under cookie *key in sg_peers. 0, or -1. */
static __always_inline int tcp_view_of(__u64 *key, struct tcp_view *v)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&sg_peers, key);
	struct tcp_sock *tp;
	int ret = -1;

	if (!sk)
		return -1;
	tp = bpf_skc_to_tcp_sock(sk);
	if (tp) {
		v->bytes_received = tp->bytes_received;
		v->write_seq = tp->write_seq;
		v->state = sk->state;
		v->sndbuf = tp->inet_conn.icsk_inet.sk.sk_sndbuf;
		v->wmem_queued = tp->inet_conn.icsk_inet.sk.sk_wmem_queued;
		ret = 0;
	}
	bpf_sk_release(sk);
	return ret;
}

/*
 * How many of this skb's first bytes were seen before. TCP queues a
 * retransmitted segment that starts before what it has already received
 * whole (its reader skips the old part by sequence number), and the
 * verdict is given whole skbs: under back-pressure, when the sender's
 * retransmission timer fires before our ACKs reach it, 64-192 KiB of a
 * stream came twice. TCP counts each byte once in bytes_received, so
 * what this skb would add beyond it was seen already. If more skbs wait
 * behind this one the count is too low, never too high: nothing new is
 * ever taken for a repeat.
 */
static __u32 repeated(struct sg_sock *s, struct sg_flow *f, __u64 cookie,
		      __u32 len)
{
	struct tcp_view v;
	__u64 rx, pos;

	if (tcp_view_of(&cookie, &v) < 0)
		return 0;
	rx = v.bytes_received > s->rx_base + f->test_lag ?
		     v.bytes_received - s->rx_base - f->test_lag :
		     0;
	/* the FIN takes a sequence number, and is counted */
	if (rx && (v.state == SG_TCP_CLOSE_WAIT || v.state == SG_TCP_LAST_ACK ||
		   v.state == SG_TCP_CLOSING))
		rx--;
	pos = s->bytes + f->passed - s->dup_skip; /* new bytes seen so far */
	return pos + len > rx ? (__u32)(pos + len - rx) : 0;
}

/*
 * Bytes redirected from s that the peer's TCP has not taken yet wait in
 * the peer's psock queue, which the kernel does not bound. Returns 1 when
 * more than the high mark wait (include/sockmap_bpf.h: struct sg_flow).
 * The peer's write_seq counts the gateway's own writes too: f->written.
 * That count is published after each write returns, so it can lag and
 * the result come out low, never high.
 */
static int over_high_mark(struct sg_sock *s, struct sg_flow *f)
{
	struct tcp_view v;
	__u32 high;
	__s32 backlog;

	if (tcp_view_of(&s->peer, &v) < 0)
		return 0;
	if (!s->wseq_set) {
		/* nothing redirected yet: what the peer has is the gateway's */
		s->peer_wseq0 = v.write_seq - (__u32)f->written;
		s->wseq_set = 1;
	}
	backlog = (__s32)((__u32)s->bytes -
			  (v.write_seq - s->peer_wseq0 - (__u32)f->written));
	high = v.sndbuf > 0 ? SG_HIGH_MULT * (__u32)v.sndbuf : 0;
	if (high < SG_HIGH_MIN)
		high = SG_HIGH_MIN;
	return backlog > 0 && (__u32)backlog > high;
}

/*
 * May the episode end with this skb? Every byte passed is in the peer's
 * TCP (the gateway publishes done after its write returned): none waits
 * in the psock queue, below any low mark.
 */
static int may_resume(struct sg_flow *f)
{
	/* a plain load: clang 14 has no BPF load-acquire; x86 keeps loads
	 * in order, and the gateway writes done last */
	return *(volatile __u64 *)&f->done == f->passed;
}

static void episode_start(struct sg_sock *s, struct sg_flow *f, __u64 cookie)
{
	__sync_fetch_and_add(&f->episodes, 1);
	f->congested = 1;
	notify(s, cookie);
}

SEC("sk_skb/stream_verdict")
int sg_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct sg_sock *s = bpf_map_lookup_elem(&sg_sessions, &cookie);
	struct sg_flow *f;
	__u32 rep, k, slot;
	long verdict;

	if (!s)
		return SK_DROP; /* not a session socket: cannot happen */
	slot = s->slot;
	f = bpf_map_lookup_elem(&sg_flows, &slot);
	if (!f)
		return SK_DROP; /* the loader sizes sg_flows: cannot happen */
	/*
	 * The FIN arrives as an skb without data. Redirected, the peer's
	 * send worker would write 0 bytes, take that for a broken pipe and
	 * set EPIPE on the peer. User space passes FIN on with shutdown().
	 */
	if (skb->len == 0)
		return SK_DROP;
	rep = repeated(s, f, cookie, skb->len);
	if (rep >= skb->len) {
		__sync_fetch_and_add(&s->dup_drop, skb->len);
		return SK_DROP;
	}
	if (rep) {
		/* partly new: to the gateway, which skips the old part */
		k = f->skips & (SG_SKIPS - 1);
		s->skip_off[k] = f->passed;
		s->skip_len[k] = rep;
		s->dup_skip += rep;
		/* the skip is noted before the bytes count as passed */
		__sync_fetch_and_add(&f->skips, 1);
	} else if (f->congested && may_resume(f)) {
		f->congested = 0;
		__sync_fetch_and_add(&f->resumed, 1);
		notify(s, cookie);
		goto redirect;
	}
	if (rep || f->congested || over_high_mark(s, f)) {
		/* to our own receive queue, in order, for the gateway */
		if (!f->congested)
			episode_start(s, f, cookie);
		__sync_fetch_and_add(&f->passed, skb->len);
		return SK_PASS;
	}
redirect:
	verdict = bpf_sk_redirect_hash(skb, &sg_peers, &s->peer, 0);
	if (verdict == SK_PASS) {
		__sync_fetch_and_add(&s->bytes, skb->len);
		__sync_fetch_and_add(&s->segs, 1);
	} else {
		__sync_fetch_and_add(&s->drops, 1);
	}
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
