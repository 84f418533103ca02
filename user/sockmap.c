// SPDX-License-Identifier: MIT
/*
 * The BPF side's loader, following the skeleton's life: open, size the
 * maps, load, attach, pin; and the map operations of a session.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpffs.h"
#include "log.h"
#include "sockgate.skel.h"
#include "sockmap.h"

struct sockmap {
	struct sockgate_bpf *skel;
	struct ring_buffer *rb;
	sockmap_event_fn on_event;
	void *ctx;
	int peers, active, sessions; /* map fds */
	int prog;
	int pinned;
	char dir[PATH_MAX];
};

static int libbpf_log(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[512];
	size_t n;

	/* libbpf is chatty at load: its warnings explain a failed probe */
	if (level == LIBBPF_DEBUG && log_min_level > LOG_LVL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	log_msg(LOG_LVL_DEBUG,
		"libbpf: %s", line);
	return 0;
}

static void pin_maps(struct sockmap *sm, const char *base)
{
	struct {
		struct bpf_map *map;
		const char *name;
	} pins[] = {
		{ sm->skel->maps.sg_sessions, SG_MAP_SESSIONS },
		{ sm->skel->maps.sg_peers, SG_MAP_PEERS },
		{ sm->skel->maps.sg_active, SG_MAP_ACTIVE },
	};
	char path[PATH_MAX + 32];

	if (bpffs_prepare(base) < 0) {
		log_warn("sockmap: maps not pinned: %s: %s", base,
			 strerror(errno));
		return;
	}
	bpffs_clean_stale(base);
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
	libbpf_set_print(libbpf_log);
	sm->skel = sockgate_bpf__open();
	if (!sm->skel) {
		snprintf(why, whylen, "cannot open the BPF object: %s",
			 strerror(errno));
		goto fail;
	}
	bpf_map__set_max_entries(sm->skel->maps.sg_peers, max_socks);
	bpf_map__set_max_entries(sm->skel->maps.sg_active, max_socks);
	bpf_map__set_max_entries(sm->skel->maps.sg_sessions, max_socks);
	err = sockgate_bpf__load(sm->skel);
	if (err) {
		snprintf(why, whylen, "cannot load the BPF program: %s%s",
			 strerror(-err),
			 err == -EPERM ? " (needs CAP_BPF and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	sm->prog = bpf_program__fd(sm->skel->progs.sg_verdict);
	sm->peers = bpf_map__fd(sm->skel->maps.sg_peers);
	sm->active = bpf_map__fd(sm->skel->maps.sg_active);
	sm->sessions = bpf_map__fd(sm->skel->maps.sg_sessions);
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
	ring_buffer__free(sm->rb);
	sockgate_bpf__destroy(sm->skel);
	free(sm);
	return NULL;
}

void sockmap_unload(struct sockmap *sm)
{
	if (!sm)
		return;
	bpf_prog_detach2(sm->prog, sm->active, BPF_SK_SKB_STREAM_VERDICT);
	if (sm->pinned)
		bpffs_remove_dir(sm->dir);
	ring_buffer__free(sm->rb);
	sockgate_bpf__destroy(sm->skel);
	free(sm);
}

const char *sockmap_pin_dir(const struct sockmap *sm)
{
	return sm->pinned ? sm->dir : "(not pinned)";
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

	if (cookie_of(cli_fd, &ck[0]) < 0 || cookie_of(be_fd, &ck[1]) < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		v[i].peer = ck[1 - i];
		v[i].role = i == 0 ? SG_ROLE_CLIENT : SG_ROLE_BACKEND;
		v[i].owner = (__u32)getpid();
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

		if (bpf_map_update_elem(sm->peers, &ck[i], &fd, BPF_NOEXIST) < 0)
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
		int map = s == 2 ? sm->active : s == 1 ? sm->peers : sm->sessions;

		for (int j = 0; j < 2; j++)
			bpf_map_delete_elem(map, &ck[j]);
	}
	errno = err;
	return -1;
}

int sockmap_read(struct sockmap *sm, uint64_t ck, struct sg_sock *out)
{
	return bpf_map_lookup_elem(sm->sessions, &ck, out);
}

void sockmap_remove(struct sockmap *sm, const uint64_t ck[2],
		    struct sg_sock out[2])
{
	/* the verdict first: nothing more is redirected once it is gone */
	for (int i = 0; i < 2; i++)
		bpf_map_delete_elem(sm->active, &ck[i]);
	for (int i = 0; i < 2; i++)
		bpf_map_delete_elem(sm->peers, &ck[i]);
	for (int i = 0; i < 2; i++)
		if (bpf_map_lookup_and_delete_elem(sm->sessions, &ck[i],
						   &out[i]) < 0)
			memset(&out[i], 0, sizeof(out[i]));
}
