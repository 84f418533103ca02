// SPDX-License-Identifier: MIT
/*
 * Attached to an SO_REUSEPORT group's listeners as
 * BPF_SK_REUSEPORT_SELECT_OR_MIGRATE: when one of them closes (the old
 * process of a restart), the kernel moves the connections in its accept
 * queue, and the half-open ones, to another listener of the group
 * instead of resetting them. It needs no global sysctl
 * (net.ipv4.tcp_migrate_req does the same for every group).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* connections moved while this program was the group's */
__u64 migrated = 0;

SEC("sk_reuseport/migrate")
int sg_reuseport(struct sk_reuseport_md *md)
{
	if (md->migrating_sk)
		__sync_fetch_and_add(&migrated, 1);
	/* no choice made: the kernel picks among the group's open
	 * listeners by hash, for new connections as for moved ones */
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
