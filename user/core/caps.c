// SPDX-License-Identifier: MIT
/* The process's capabilities: see caps.h. */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/caps.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return (int)syscall(SYS_capget, &h, d);
}

uint64_t caps_effective(void)
{
	struct __user_cap_data_struct d[2];

	if (caps_get(d) < 0)
		return 0;
	return (uint64_t)d[1].effective << 32 | d[0].effective;
}
