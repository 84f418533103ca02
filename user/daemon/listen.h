/* SPDX-License-Identifier: MIT */
#ifndef SG_LISTEN_H
#define SG_LISTEN_H

struct gateway;

/*
 * Opens a listener for each worker into fds (with --reuse each its own
 * socket in the port's SO_REUSEPORT group, else one shared). With --reuse, a restart must drop nobody: the group gets
 * bpf/reuseport.bpf.c, so that a closing listener's waiting connections
 * move to the group's others (gw->rp), or the kernel's sysctl does it;
 * without either a warning says what a restart would reset. Exits when
 * the address cannot be had.
 */
void listen_open(struct gateway *gw, int *fds);
/* Logs the address fd is bound to, with the path chosen (gw->fwd). */
void listen_announce(const struct gateway *gw, int fd);

#endif
