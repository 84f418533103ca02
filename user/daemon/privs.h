/* SPDX-License-Identifier: MIT */
#ifndef SG_PRIVS_H
#define SG_PRIVS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The capabilities the sockmap path keeps once set up. Measured on 6.1,
 * 6.12 and 6.18 (tests/test_life.c): bpf() on the maps the process
 * already holds needs none, even with kernel.unprivileged_bpf_disabled
 * (the kernel checks map creation and program loads, done by then);
 * SO_SNDBUFFORCE needs CAP_NET_ADMIN, and without it the 16 MiB send
 * buffers the kernel path wants are capped by net.core.wmem_max.
 */
#define PRIVS_SOCKMAP_CAPS (UINT64_C(1) << 12 /* CAP_NET_ADMIN */)

/*
 * Switches to user (its uid, gid and groups) keeping only the
 * capabilities in keep (a mask of CAP_* bits), drops the rest from the
 * bounding set, sets no_new_privs. 0, or -1 with a reason in why.
 */
int privs_drop(const char *user, uint64_t keep, char *why, size_t whylen);
/* Not dumpable (no core, no ptrace by the same user): the secrets. */
void privs_nodump(void);
/* The effective capabilities now, as /proc/self/status shows them. */

#endif
