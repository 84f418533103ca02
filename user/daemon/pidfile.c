// SPDX-License-Identifier: MIT
/*
 * The pid file: never taken from a live process, removed only by its
 * owner. Two gateways sharing a port (--reuse) in one directory, as in a
 * restart, each keep to their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/pidfile.h"

/* The pid in path; 0 when there is none or it does not parse. */
static pid_t read_pid(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	long v;
	char *end;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	return v > 0 && v < 1L << 22 && (*end == '\n' || *end == '\0') ?
		       (pid_t)v :
		       0;
}

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

/*
 * Our file beside path: O_EXCL and O_NOFOLLOW, so that in a directory
 * another user can write, a link planted under the name cannot make us
 * write through it. A leftover of an earlier process with our pid goes
 * first (unlink removes a link, never its target).
 */
static int tmp_create(const char *tmp)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = open(tmp, flags, 0644);

	if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, flags, 0644);
	return fd;
}

int pidfile_claim(const char *path, int take, pid_t *holder)
{
	char tmp[4096], buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	int fd, err;
	pid_t old;

	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = tmp_create(tmp);
	if (fd < 0)
		return -1;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		errno = err ? err : EIO;
		return -1;
	}
	close(fd);
	/* link fails if the name exists: a complete file or none */
	if (link(tmp, path) == 0) {
		unlink(tmp);
		return 0;
	}
	err = errno;
	if (err != EEXIST) {
		unlink(tmp);
		errno = err;
		return -1;
	}
	old = read_pid(path);
	if (old > 0 && old != getpid() && alive(old)) {
		*holder = old;
		if (!take) {
			unlink(tmp);
			return 1;
		}
	}
	/* stale (a crash, SIGKILL), unreadable, or taken: ours now */
	if (rename(tmp, path) < 0) {
		err = errno;
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

int pidfile_release(const char *path)
{
	if (read_pid(path) != getpid())
		return 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}
