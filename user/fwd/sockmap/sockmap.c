// SPDX-License-Identifier: MIT
/*
 * The BPF side's loader, following the skeleton's life: open, size the
 * maps, load, attach, pin; and the map operations of a session.
 */
#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fwd/sockmap/bpffs.h"
#include "core/caps.h"
#include "core/log.h"
#include "sockmap.skel.h"
#include "fwd/sockmap/sockmap.h"

struct sockmap {
	struct sockmap_bpf *skel;
	struct ring_buffer *rb;
	sockmap_event_fn on_event;
	void *ctx;
	int peers, active, sessions; /* map fds */
	int prog;
	int pinned;
	uint32_t pid; /* the entries' owner: getpid() once, not per session */
	char dir[PATH_MAX];
	/* sg_flows, mapped: two entries (client, backend) a session slot */
	/* the pin directory and its parent, opened before --user: the
	 * paths' parents may not be searchable after it */
	int dir_fd, base_fd;
	struct sg_flow *flows;
	size_t flows_len;
	/* free session slots: the stack, then the never used from `fresh` */
	pthread_mutex_t slot_lock;
	uint32_t *free_slots;
	uint32_t nfree, fresh, nslots;
};

static void pin_maps(struct sockmap *sm, const char *base)
{
	struct {
		struct bpf_map *map;
		const char *name;
	} pins[] = {
		{ sm->skel->maps.sg_sessions, SG_MAP_SESSIONS },
		{ sm->skel->maps.sg_peers, SG_MAP_PEERS },
		{ sm->skel->maps.sg_active, SG_MAP_ACTIVE },
		{ sm->skel->maps.sg_flows, SG_MAP_FLOWS },
	};
	char path[PATH_MAX + 32];

	if (bpffs_prepare(base) < 0) {
		log_warn("sockmap: maps not pinned: %s: %s", base,
			 strerror(errno));
		return;
	}
	snprintf(sm->dir, sizeof(sm->dir), "%s/%ld", base, (long)getpid());
	bpffs_remove_dir(sm->dir); /* a previous process with our pid */
	if (mkdir(sm->dir, 0700) < 0) {
		log_warn("sockmap: maps not pinned: %s: %s", sm->dir,
			 strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sm->dir, pins[i].name);
		if (bpf_map__pin(pins[i].map, path) < 0) {
			log_warn("sockmap: cannot pin %s: %s", path,
				 strerror(errno));
			bpffs_remove_dir(sm->dir);
			return;
		}
	}
	sm->pinned = 1;
	sm->dir_fd = open(sm->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sm->base_fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	log_info("sockmap: maps pinned under %s", sm->dir);
}

static int ringbuf_cb(void *ctx, void *data, size_t size)
{
	struct sockmap *sm = ctx;
	const struct sg_event *ev = data;

	if (size >= sizeof(*ev))
		sm->on_event(sm->ctx, ev->cookie, ev->worker);
	return 0;
}

int sockmap_events_fd(struct sockmap *sm)
{
	return ring_buffer__epoll_fd(sm->rb);
}

void sockmap_events_consume(struct sockmap *sm)
{
	ring_buffer__consume(sm->rb);
}

/* A load refused for want of a capability: EPERM, or EINVAL from a
 * verifier that may not follow pointers without CAP_PERFMON. */
static int missing_caps(int err)
{
	return err == -EPERM ||
	       (err == -EINVAL &&
		!(caps_effective() & (UINT64_C(1) << CAP_PERFMON)));
}

struct sockmap *sockmap_load(const char *base, uint32_t max_socks,
			     sockmap_event_fn on_event, void *ctx, char *why,
			     size_t whylen)
{
	struct sockmap *sm = calloc(1, sizeof(*sm));
	int err;

	if (!sm) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	sm->dir_fd = sm->base_fd = -1;
	sm->pid = (uint32_t)getpid();
	bpffs_log_to_ours();
	sm->skel = sockmap_bpf__open();
	if (!sm->skel) {
		snprintf(why, whylen, "cannot open the BPF object: %s",
			 strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(sm->skel->maps.sg_peers, max_socks);
	bpf_map__set_max_entries(sm->skel->maps.sg_active, max_socks);
	bpf_map__set_max_entries(sm->skel->maps.sg_sessions, max_socks);
	bpf_map__set_max_entries(sm->skel->maps.sg_flows, max_socks);
	pthread_mutex_init(&sm->slot_lock, NULL);
	sm->nslots = max_socks / 2;
	sm->free_slots = malloc(sm->nslots * sizeof(*sm->free_slots));
	if (!sm->free_slots) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	err = sockmap_bpf__load(sm->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the BPF program: %s%s",
			 strerror(-err),
			 missing_caps(err) ? " (needs CAP_BPF, CAP_PERFMON "
					     "and CAP_NET_ADMIN)" :
					     "");
		goto fail;
	}
	sm->prog = bpf_program__fd(sm->skel->progs.sg_verdict);
	sm->peers = bpf_map__fd(sm->skel->maps.sg_peers);
	sm->active = bpf_map__fd(sm->skel->maps.sg_active);
	sm->sessions = bpf_map__fd(sm->skel->maps.sg_sessions);
	sm->flows_len = (size_t)max_socks * sizeof(struct sg_flow);
	sm->flows = mmap(NULL, sm->flows_len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, bpf_map__fd(sm->skel->maps.sg_flows), 0);
	if (sm->flows == MAP_FAILED) {
		sm->flows = NULL;
		snprintf(why, whylen, "cannot map the flow counters: %s",
			 strerror(errno));
		goto fail;
	}
	sm->on_event = on_event;
	sm->ctx = ctx;
	sm->rb = ring_buffer__new(bpf_map__fd(sm->skel->maps.sg_events),
				  ringbuf_cb, sm, NULL);
	if (!sm->rb) {
		snprintf(why, whylen, "cannot open the ring buffer: %s",
			 strerror(errno));
		goto fail;
	}
	if (bpf_prog_attach(sm->prog, sm->active, BPF_SK_SKB_STREAM_VERDICT,
			    0) < 0) {
		snprintf(why, whylen, "cannot attach the stream verdict: %s",
			 strerror(errno));
		goto fail;
	}
	pin_maps(sm, base);
	return sm;
fail:
	if (sm->flows)
		munmap(sm->flows, sm->flows_len);
	ring_buffer__free(sm->rb);
	sockmap_bpf__destroy(sm->skel);
	free(sm->free_slots);
	free(sm);
	return NULL;
}

int sockmap_give_pins(struct sockmap *sm, uid_t uid, gid_t gid)
{
	if (!sm->pinned)
		return 0;
	if (fchown(sm->dir_fd, uid, gid) < 0)
		return -1;
	/* sticky, as /tmp: each may remove only its own directory */
	return fchmod(sm->base_fd, 01733);
}

void sockmap_unpin(struct sockmap *sm)
{
	if (!sm || !sm->pinned)
		return;
	if (sm->dir_fd >= 0 && sm->base_fd >= 0)
		bpffs_remove_at(sm->base_fd, sm->dir_fd, sm->dir);
	else
		bpffs_remove_dir(sm->dir);
	sm->pinned = 0;
}

void sockmap_unload(struct sockmap *sm)
{
	if (!sm)
		return;
	bpf_prog_detach2(sm->prog, sm->active, BPF_SK_SKB_STREAM_VERDICT);
	sockmap_unpin(sm);
	if (sm->dir_fd >= 0)
		close(sm->dir_fd);
	if (sm->base_fd >= 0)
		close(sm->base_fd);
	ring_buffer__free(sm->rb);
	munmap(sm->flows, sm->flows_len);
	sockmap_bpf__destroy(sm->skel);
	pthread_mutex_destroy(&sm->slot_lock);
	free(sm->free_slots);
	free(sm);
}

const char *sockmap_pin_dir(const struct sockmap *sm)
{
	return sm->pinned ? sm->dir : "(not pinned)";
}

struct sg_flow *sockmap_flow(struct sockmap *sm, uint32_t slot)
{
	return slot < 2 * sm->nslots ? &sm->flows[slot] : NULL;
}

/* A free session slot, or -1 (ENOSPC). Shared by the workers. */
static int64_t slot_get(struct sockmap *sm)
{
	int64_t k = -1;

	pthread_mutex_lock(&sm->slot_lock);
	if (sm->nfree)
		k = sm->free_slots[--sm->nfree];
	else if (sm->fresh < sm->nslots)
		k = sm->fresh++;
	pthread_mutex_unlock(&sm->slot_lock);
	if (k < 0)
		errno = ENOSPC;
	return k;
}

static void slot_put(struct sockmap *sm, uint32_t k)
{
	pthread_mutex_lock(&sm->slot_lock);
	if (k < sm->nslots && sm->nfree < sm->nslots)
		sm->free_slots[sm->nfree++] = k;
	pthread_mutex_unlock(&sm->slot_lock);
}

static int cookie_of(int fd, uint64_t *ck)
{
	socklen_t len = sizeof(*ck);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, ck, &len);
}

int sockmap_insert(struct sockmap *sm, int cli_fd, int be_fd, uint32_t worker,
		   uint64_t user, const uint32_t rx_base[2], uint64_t ck[2])
{
	int fds[2] = { cli_fd, be_fd }, one = 1, err, i = 0, stage = 0;
	struct sg_sock v[2] = { 0 };
	int64_t slot;

	if (cookie_of(cli_fd, &ck[0]) < 0 || cookie_of(be_fd, &ck[1]) < 0)
		return -1;
	if ((slot = slot_get(sm)) < 0)
		return -1;
	/* nothing else writes a free slot's flows */
	memset(&sm->flows[2 * slot], 0, 2 * sizeof(struct sg_flow));
	for (i = 0; i < 2; i++) {
		v[i].slot = (uint32_t)(2 * slot + i);
		v[i].peer = ck[1 - i];
		v[i].role = i == 0 ? SG_ROLE_CLIENT : SG_ROLE_BACKEND;
		v[i].owner = sm->pid;
		v[i].worker = worker;
		v[i].user = user;
		v[i].rx_base = rx_base[i];
	}
	/* sessions, then redirect targets, then the verdict: each skb the
	 * verdict sees finds its session and its peer */
	for (i = 0; i < 2; i++)
		if (bpf_map_update_elem(sm->sessions, &ck[i], &v[i],
					BPF_NOEXIST) < 0)
			goto undo;
	stage = 1;
	for (i = 0; i < 2; i++) {
		uint64_t fd = (uint64_t)fds[i];

		if (bpf_map_update_elem(sm->peers, &ck[i], &fd, BPF_NOEXIST) <
		    0)
			goto undo;
	}
	stage = 2;
	for (i = 0; i < 2; i++) {
		uint64_t fd = (uint64_t)fds[i];

		if (bpf_map_update_elem(sm->active, &ck[i], &fd, BPF_NOEXIST) ==
		    0)
			continue;
		if (i == 0)
			goto undo;
		/*
		 * The client is under the verdict already and its bytes may
		 * be on their way to the backend: undoing now could lose
		 * them. The backend sent its FIN meanwhile (the kernel takes
		 * established sockets only): its bytes, finite, go through
		 * user space.
		 */
		if (errno != EOPNOTSUPP)
			goto undo;
		setsockopt(fds[0], SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
		return 1;
	}
	/*
	 * Bytes that reached a socket before it had the verdict wait in its
	 * TCP receive queue until more data arrives. Setting SO_RCVLOWAT
	 * calls the socket's data-ready callback, which is the verdict's
	 * now: the queue is redirected at once, in order.
	 */
	for (i = 0; i < 2; i++)
		setsockopt(fds[i], SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	return 0;
undo:
	err = errno;
	/* nothing is under the verdict yet: no byte has moved */
	for (int s = stage; s >= 0; s--) {
		int map = s == 2 ? sm->active :
			  s == 1 ? sm->peers :
				   sm->sessions;

		for (int j = 0; j < 2; j++)
			bpf_map_delete_elem(map, &ck[j]);
	}
	slot_put(sm, (uint32_t)slot);
	errno = err;
	return -1;
}

int sockmap_read(struct sockmap *sm, uint64_t ck, struct sg_sock *out)
{
	return bpf_map_lookup_elem(sm->sessions, &ck, out);
}

void sockmap_remove(struct sockmap *sm, const uint64_t ck[2],
		    struct sg_sock out[2], struct sg_flow fout[2])
{
	int64_t slot = -1;

	/* the verdict first: nothing more is redirected once it is gone */
	for (int i = 0; i < 2; i++)
		bpf_map_delete_elem(sm->active, &ck[i]);
	for (int i = 0; i < 2; i++)
		bpf_map_delete_elem(sm->peers, &ck[i]);
	for (int i = 0; i < 2; i++)
		if (bpf_map_lookup_and_delete_elem(sm->sessions, &ck[i],
						   &out[i]) < 0)
			memset(&out[i], 0, sizeof(out[i]));
		else
			slot = out[i].slot / 2;
	/* no verdict runs for these sockets now: the counters are final */
	if (slot < 0) {
		memset(fout, 0, 2 * sizeof(*fout));
		return;
	}
	memcpy(fout, &sm->flows[2 * slot], 2 * sizeof(*fout));
	slot_put(sm, (uint32_t)slot);
}
