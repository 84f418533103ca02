// SPDX-License-Identifier: MIT
/* The BPF filesystem: mount, pin directories, stale pins. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <stdarg.h>

#include <bpf/libbpf.h>

#include "fwd/sockmap/bpffs.h"
#include "core/log.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define BPF_FS_ROOT "/sys/fs/bpf"

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

int bpffs_prepare(const char *base)
{
	struct statfs st;

	if (strncmp(base, BPF_FS_ROOT "/", sizeof(BPF_FS_ROOT)) == 0 &&
	    (statfs(BPF_FS_ROOT, &st) < 0 ||
	     (unsigned long)st.f_type != BPF_FS_MAGIC)) {
		if (mount("bpf", BPF_FS_ROOT, "bpf", 0, "mode=0700") < 0)
			return -1;
		log_info("mounted the BPF filesystem at " BPF_FS_ROOT);
	}
	if (mkdir_p(base) < 0)
		return -1;
	if (statfs(base, &st) < 0)
		return -1;
	if ((unsigned long)st.f_type != BPF_FS_MAGIC) {
		errno = ENOTSUP;
		return -1;
	}
	return 0;
}

static void remove_pins(int dirfd)
{
	static const char *const maps[] = { SG_MAP_SESSIONS, SG_MAP_PEERS,
					    SG_MAP_ACTIVE, SG_MAP_FLOWS };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		unlinkat(dirfd, maps[i], 0);
}

int bpffs_remove_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	remove_pins(fd);
	close(fd);
	if (rmdir(dir) < 0 && errno != ENOENT) {
		log_debug("rmdir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

void bpffs_remove_at(int basefd, int dirfd, const char *dir)
{
	const char *name = strrchr(dir, '/');

	remove_pins(dirfd);
	if (unlinkat(basefd, name ? name + 1 : dir, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		log_warn("cannot remove %s: %s", dir, strerror(errno));
}

void bpffs_clean_stale(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		/* alive, or not ours to judge (EPERM): keep */
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
		    errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", base,
				     e->d_name) >= sizeof(path))
			continue;
		/* --user's directory (0700): root, without CAP_DAC_OVERRIDE
		 * under the unit, takes it back first (CAP_CHOWN) */
		if (bpffs_remove_dir(path) == 0 ||
		    (fchownat(dirfd(d), e->d_name, geteuid(), getegid(),
			      AT_SYMLINK_NOFOLLOW) == 0 &&
		     bpffs_remove_dir(path) == 0))
			log_info("removed the stale pins of gone pid %ld", pid);
		else
			log_warn("cannot remove the stale pins %s: %s", path,
				 strerror(errno));
	}
	closedir(d);
}

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
	log_msg(LOG_LVL_DEBUG, "libbpf: %s", line);
	return 0;
}

void bpffs_log_to_ours(void)
{
	libbpf_set_print(libbpf_log);
}
