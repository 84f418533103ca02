/* SPDX-License-Identifier: MIT */
#ifndef SG_ETCD_H
#define SG_ETCD_H

struct gateway;
struct etcd_reg;

/*
 * --etcd: a thread that keeps one key, <prefix><advertise>/<pid>, in
 * etcd under a lease of --etcd-ttl seconds, its value a JSON summary
 * (address, pid, version, mode, sessions, start time). The lease is kept
 * alive at a third of the TTL and the value refreshed when it changes;
 * when etcd is away the gateway serves on, logs at a bounded rate and
 * registers again once etcd answers. NULL with a reason logged when the
 * thread cannot start (the configuration was checked at parse time).
 */
struct etcd_reg *etcd_register_start(struct gateway *gw, const char *advertise);
/* Deletes the key and revokes the lease (bounded: about a second when
 * etcd is away), stops the thread, frees it. NULL: nothing. */
void etcd_register_stop(struct etcd_reg *e);

#endif
