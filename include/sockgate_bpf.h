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

/*
 * One per socket in the sessions map, keyed by its socket cookie. The
 * counters are what the verdict program redirected from this socket to
 * its peer: for the client socket the upstream bytes, for the backend
 * socket the downstream ones.
 */
struct sg_sock {
	__u64 peer;  /* the other socket's cookie */
	__u64 bytes; /* redirected to the peer */
	__u64 segs;  /* skbs redirected */
	__u64 drops; /* skbs the redirect refused (peer gone) */
	__u32 role;  /* enum sg_role */
	__u32 owner; /* pid of the gateway */
};

#endif
