// SPDX-License-Identifier: MIT
/* fwd/stream.c: the pump of the user-space forwarders, over socketpairs. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "fwd/stream.h"
#include "unit.h"

TestSuite(stream, .timeout = 30);

struct rig {
	int src_peer, dst_peer; /* the test's ends */
	struct evl_fd src, dst; /* the pump's */
	struct stream_dir d;
	uint64_t bytes;
	uint8_t buf[4096];
};

static void rig_init(struct rig *r)
{
	int a[2], b[2];

	memset(r, 0, sizeof(*r));
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, a), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, b), 0);
	r->src_peer = a[0];
	r->dst_peer = b[0];
	evl_fd_init(&r->src, a[1], NULL);
	evl_fd_init(&r->dst, b[1], NULL);
	r->d.src = &r->src;
	r->d.dst = &r->dst;
	r->d.bytes = &r->bytes;
	r->d.buf = r->buf;
	r->d.cap = sizeof(r->buf);
}

static void rig_free(struct rig *r)
{
	close(r->src_peer);
	close(r->dst_peer);
	close(r->src.fd);
	close(r->dst.fd);
}

/* Reads what dst_peer has into out at *got; 1 once EOF came. */
static int drain(struct rig *r, uint8_t *out, size_t max, size_t *got)
{
	for (;;) {
		ssize_t n = read(r->dst_peer, out + *got, max - *got);

		if (n > 0)
			*got += (size_t)n;
		else
			return n == 0;
	}
}

Test(stream, bytes_arrive_in_order_then_eof)
{
	static uint8_t in[300000], out[300001];
	struct rig r;
	size_t sent = 0, got = 0;
	int eof = 0;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + i / 251);
	rig_init(&r);
	while (!eof) {
		if (sent < sizeof(in)) {
			ssize_t n =
				write(r.src_peer, in + sent, sizeof(in) - sent);

			if (n > 0)
				sent += (size_t)n;
			if (sent == sizeof(in))
				shutdown(r.src_peer, SHUT_WR);
		}
		cr_assert_eq(stream_dir_pump(&rw_chan, &r.d), 0);
		eof = drain(&r, out, sizeof(out), &got);
	}
	cr_expect_eq(got, sizeof(in));
	cr_expect_eq(r.bytes, sizeof(in));
	cr_expect_eq(memcmp(in, out, sizeof(in)), 0, "same bytes, same order");
	cr_expect(r.d.done, "done once EOF was passed on (eof %d fill %zu)",
		  r.d.eof, r.d.fill);
	rig_free(&r);
}

Test(stream, a_full_destination_stops_reading)
{
	uint8_t chunk[65536] = { 1 };
	struct rig r;
	int bufsz = 4096;
	size_t queued = 0;
	ssize_t n;

	rig_init(&r);
	setsockopt(r.dst.fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
	/* more than the destination and the channel can hold */
	for (int i = 0; i < 64; i++) {
		n = write(r.src_peer, chunk, sizeof(chunk));
		if (n > 0)
			queued += (size_t)n;
		if (n < 0)
			break;
		cr_assert_eq(stream_dir_pump(&rw_chan, &r.d), 0);
	}
	cr_assert_eq(stream_dir_pump(&rw_chan, &r.d), 0);
	cr_expect(r.d.out_wait, "waits for the destination");
	cr_expect_eq(r.d.fill, r.d.cap, "the channel is full");
	cr_expect_lt(r.bytes, queued, "not everything went on");
	rig_free(&r);
}

Test(stream, a_closed_destination_is_a_write_failure)
{
	struct rig r;

	rig_init(&r);
	close(r.dst_peer);
	r.dst_peer = -1;
	cr_assert_eq(write(r.src_peer, "hello", 5), 5);
	cr_expect_eq(stream_dir_pump(&rw_chan, &r.d), -2);
	cr_expect(errno == EPIPE || errno == ECONNRESET, "errno %d", errno);
	rig_free(&r);
}
