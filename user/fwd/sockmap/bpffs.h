/* SPDX-License-Identifier: MIT */
#ifndef SG_BPFFS_H
#define SG_BPFFS_H

/* Where a gateway pins its maps: <base>/<pid>/ so that processes sharing
 * a port (--reuse) do not trample each other. */
#define SG_MAP_SESSIONS "sessions"
#define SG_MAP_PEERS "peers"
#define SG_MAP_ACTIVE "active"
#define SG_MAP_FLOWS "flows"

/*
 * Makes sure base is on a BPF filesystem: mounts one at /sys/fs/bpf when
 * nothing is mounted there (as bpftool does), then creates base.
 * 0, or -1 with errno set.
 */
int bpffs_prepare(const char *base);
/* Removes the pinned files of dir and dir itself. */
/* 0, or -1 when the directory could not be emptied and removed */
int bpffs_remove_dir(const char *dir);
/* The same through descriptors of dir and of its parent opened before the
 * process gave up its privileges (the path's parents may not be
 * searchable by then). */
void bpffs_remove_at(int basefd, int dirfd, const char *dir);
/* Removes <base>/<pid> dirs whose process is gone (a crash, SIGKILL),
 * whatever mode the calling gateway runs in. */
void bpffs_clean_stale(const char *base);
/* libbpf's messages go to our log (its debug level). */
void bpffs_log_to_ours(void);

#endif
