/* SPDX-License-Identifier: MIT */
#ifndef SG_REUSEPORT_H
#define SG_REUSEPORT_H

#include <stddef.h>
#include <stdint.h>

struct reuseport;

/*
 * Loads the program that moves a closing listener's waiting connections
 * to the rest of its SO_REUSEPORT group (bpf/reuseport.bpf.c). NULL with
 * a reason in why when BPF is not available.
 */
struct reuseport *reuseport_load(char *why, size_t whylen);
/* Attaches it to a listening socket's group. 0, or -1 with errno. */
int reuseport_attach(struct reuseport *r, int fd);
/* Connections moved while this process's program was the group's. */
const uint64_t *reuseport_counter(const struct reuseport *r);
void reuseport_unload(struct reuseport *r);
/* net.ipv4.tcp_migrate_req: 1 on, 0 off, -1 unknown. */
int reuseport_sysctl(void);

#endif
