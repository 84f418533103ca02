// SPDX-License-Identifier: MIT
/* Least privilege after start-up: see daemon/privs.h. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/privs.h"

static int capset_raw(uint64_t eff, uint64_t perm)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm;
	d[1].permitted = (uint32_t)(perm >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

int privs_drop(const char *user, uint64_t keep, char *why, size_t whylen)
{
	struct passwd *pw = getpwnam(user);
	int last = CAP_LAST_CAP;

	if (!pw) {
		snprintf(why, whylen, "no user %s", user);
		return -1;
	}
	/* the running kernel may know more capabilities than our headers */
	while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
		last++;
	for (int c = 0; c <= last; c++)
		if (!(keep >> c & 1) &&
		    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) {
			snprintf(why, whylen, "cannot drop capability %d: %s",
				 c, strerror(errno));
			return -1;
		}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		snprintf(why, whylen, "cannot become %s: %s", user,
			 strerror(errno));
		return -1;
	}
	/* setuid cleared the effective set and kept the permitted one */
	if (capset_raw(keep, keep) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(why, whylen, "cannot keep the capabilities: %s",
			 strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(why, whylen, "could become root again");
		return -1;
	}
	return 0;
}

void privs_nodump(void)
{
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
