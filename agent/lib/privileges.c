// SPDX-License-Identifier: GPL-2.0-only
/* Capability drop with libcap (see privileges.h). */
#include "privileges.h"

#include <errno.h>
#include <linux/securebits.h>
#include <sys/prctl.h>

#include "util.h"

int idg_privileges_drop(const cap_value_t *keep, int n, struct idg_error *err)
{
	cap_value_t last = (cap_value_t)cap_max_bits() - 1;
	cap_t caps;
	cap_flag_value_t value;
	int r = 0;

	/* Bounding set first: it needs CAP_SETPCAP, which goes last. */
	for (cap_value_t c = 0; c <= last; c++) {
		int kept = 0;

		for (int i = 0; i < n; i++)
			kept |= keep[i] == c;
		if (!kept && cap_drop_bound(c) < 0 && errno != EINVAL)
			return idg_error_errno(err, -errno, "cannot drop %s from the bounding set", cap_to_name(c));
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return idg_error_errno(err, -errno, "cannot clear the ambient capabilities");
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
				      SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED) < 0)
		return idg_error_errno(err, -errno, "cannot lock the securebits");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return idg_error_errno(err, -errno, "cannot set no_new_privs");

	caps = cap_init();
	if (!caps)
		return idg_error_errno(err, -errno, "cannot allocate a capability set");
	if (n > 0 && (cap_set_flag(caps, CAP_PERMITTED, n, keep, CAP_SET) < 0 ||
		      cap_set_flag(caps, CAP_EFFECTIVE, n, keep, CAP_SET) < 0)) {
		r = idg_error_errno(err, -errno, "cannot build the capability set");
		goto out;
	}
	if (cap_set_proc(caps) < 0) {
		r = idg_error_errno(err, -errno, "cannot drop capabilities");
		goto out;
	}
	cap_free(caps);

	/* Trust, but verify: read back what the kernel now holds. */
	caps = cap_get_proc();
	if (!caps)
		return idg_error_errno(err, -errno, "cannot read the capability set back");
	for (cap_value_t c = 0; c <= last; c++) {
		int kept = 0;

		for (int i = 0; i < n; i++)
			kept |= keep[i] == c;
		if (cap_get_flag(caps, c, CAP_PERMITTED, &value) < 0 || (value == CAP_SET) != kept ||
		    (!kept && CAP_IS_SUPPORTED(c) && cap_get_bound(c) > 0)) {
			r = idg_error_set(err, -EPERM, "capability %s is still held after the drop", cap_to_name(c));
			goto out;
		}
	}
out:
	cap_free(caps);
	return r;
}

int idg_privileges_describe(char *buf, size_t size)
{
	cap_t caps = cap_get_proc();
	char *text;

	if (!caps)
		return -errno;
	text = cap_to_text(caps, NULL);
	cap_free(caps);
	if (!text)
		return -errno;
	(void)snprintf(buf, size, "%s", text);
	cap_free(text);
	return 0;
}
