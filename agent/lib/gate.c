// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attaching and pinning the gate's programs, the lock one daemon holds on
 * its pins, the periodic check that nobody detached or unpinned them, what
 * the pins say without a daemon, and uninstall (see gate.h). Every step that
 * weakens enforcement when it fails (attach, pin) returns an error the daemon
 * treats as fatal.
 */
#include "gate_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static const char *const pinned_maps[] = {
	"major_rules", "watched_devs", "watched_ranges", "exempt_cgroups", "grants",
	"config", "stats", "repeat_slots", "events", "port_flags", "endpoints", "brokers", "decided",
};

/* The program to attach for p, or NULL when p has no link or is not loaded. */
static struct bpf_program *link_program(const struct idg_gate *gate, enum idg_gate_program p)
{
	if (!gate_programs[p].link_pin || !gate->loaded[p])
		return NULL;
	return gate_program(gate, p);
}

/* Attaches a fresh link of one program to our cgroup and pins it at path. */
static int attach_new_link(struct idg_gate *gate, enum idg_gate_program which, const char *path, struct bpf_link **ret_link,
			   struct idg_error *err)
{
	_cleanup_close_ int cgroup_fd = open(gate->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct bpf_link *link;

	if (cgroup_fd < 0)
		return idg_error_errno(err, -errno, "cannot open cgroup %s", gate->cgroup_path);
	link = bpf_program__attach_cgroup(link_program(gate, which), cgroup_fd);
	if (!link)
		return idg_error_errno(err, -errno, "cannot attach the %s program to %s", gate_programs[which].hook,
				       gate->cgroup_path);
	if (bpf_obj_pin(bpf_link__fd(link), path) < 0) {
		int r = -errno;

		/* An unpinned link would vanish with us: that is a gap, so fail. */
		(void)bpf_link__detach(link);
		bpf_link__destroy(link);
		return idg_error_errno(err, r, "cannot pin the link at %s", path);
	}
	*ret_link = link;
	return 0;
}

static int link_cgroup(int link_fd, uint64_t *ret_cgroup_id)
{
	struct bpf_link_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
		return -errno;
	if (info.type != BPF_LINK_TYPE_CGROUP)
		return -EMEDIUMTYPE;
	*ret_cgroup_id = info.cgroup.cgroup_id;
	return 0;
}

/* Attaches one program: a fresh link on first start; on a restart, the new
 * program swapped into the pinned link (BPF_LINK_UPDATE), unless fresh is
 * asked for. *ret_fresh says whether the program now runs last. */
static int attach_one(struct idg_gate *gate, enum idg_gate_program which, bool fresh_wanted, bool *ret_fresh,
		      struct idg_error *err)
{
	char path[PATH_MAX], fresh[PATH_MAX]; /* bpffs refuses '.' in names */
	struct bpf_link *old;
	uint64_t old_cgroup = 0;
	int r;

	if (gate_pin_path(path, sizeof(path), gate->bpffs_dir, gate_programs[which].link_pin) < 0 ||
	    snprintf(fresh, sizeof(fresh), "%s_new", path) >= (int)sizeof(fresh))
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	*ret_fresh = true;
	if (access(path, F_OK) < 0)
		return attach_new_link(gate, which, path, &gate->links[which], err);

	old = bpf_link__open(path);
	if (!old)
		return idg_error_errno(err, -errno, "cannot open the pinned link %s", path);
	r = link_cgroup(bpf_link__fd(old), &old_cgroup);
	if (r < 0) {
		bpf_link__destroy(old);
		return idg_error_errno(err, r, "%s is not a cgroup link", path);
	}
	if (old_cgroup == gate->cgroup_id && !fresh_wanted) {
		/* The restart path: one atomic swap, never a moment unguarded. */
		*ret_fresh = false;
		if (bpf_link__update_program(old, link_program(gate, which)) < 0) {
			r = -errno;
			bpf_link__destroy(old);
			return idg_error_errno(err, r, "cannot update the program in the pinned link %s", path);
		}
		gate->links[which] = old;
		if (which == IDG_PROG_DEVICE)
			gate->reused_link = true;
		return 0;
	}
	/* Another cgroup, detached, or to run last again: guard with the new
	 * link first, then let go of the old one. */
	(void)unlink(fresh);
	r = attach_new_link(gate, which, fresh, &gate->links[which], err);
	if (r < 0) {
		bpf_link__destroy(old);
		return r;
	}
	if (old_cgroup)
		(void)bpf_link__detach(old);
	bpf_link__destroy(old);
	if (rename(fresh, path) < 0)
		return idg_error_errno(err, -errno, "cannot move the new link pin to %s", path);
	return 0;
}

/* Whether the link pinned at path is attached to our cgroup; it is handed
 * back open in *ret_link when it is. */
static bool pinned_link_here(const struct idg_gate *gate, const char *path, struct bpf_link **ret_link)
{
	struct bpf_link *link = bpf_link__open(path);
	uint64_t cgroup_id = 0;

	if (!link)
		return false;
	if (link_cgroup(bpf_link__fd(link), &cgroup_id) < 0 || cgroup_id != gate->cgroup_id) {
		bpf_link__destroy(link);
		return false;
	}
	*ret_link = link;
	return true;
}

/* The main device link was detached while the standby went on guarding:
 * the standby's link takes the main program (one atomic swap, so it never
 * stops deciding) and the main pin, and a new standby is attached after
 * it. Done this way round, no open is decided by neither program, and none
 * by an old standby and a new main program both (a new main link would run
 * after the old standby, which would then decide every open again). */
static int promote_standby(struct idg_gate *gate, struct idg_error *err)
{
	char main_path[PATH_MAX], standby_path[PATH_MAX];
	struct bpf_link *link = NULL;

	if (!link_program(gate, IDG_PROG_DEVICE) || !link_program(gate, IDG_PROG_DEVICE_STANDBY))
		return 0;
	if (gate_pin_path(main_path, sizeof(main_path), gate->bpffs_dir, gate_programs[IDG_PROG_DEVICE].link_pin) < 0 ||
	    gate_pin_path(standby_path, sizeof(standby_path), gate->bpffs_dir,
			  gate_programs[IDG_PROG_DEVICE_STANDBY].link_pin) < 0)
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	if (pinned_link_here(gate, main_path, &link)) {
		bpf_link__destroy(link);
		return 0;
	}
	if (!pinned_link_here(gate, standby_path, &link))
		return 0;
	if (bpf_link__update_program(link, link_program(gate, IDG_PROG_DEVICE)) < 0) {
		int r = -errno;

		bpf_link__destroy(link);
		return idg_error_errno(err, r, "cannot put the device program into the standby link %s", standby_path);
	}
	gate->links[IDG_PROG_DEVICE] = link;
	gate->reused_link = true;
	if (rename(standby_path, main_path) < 0)
		return idg_error_errno(err, -errno, "cannot move the standby link pin to %s", main_path);
	return 0;
}

/* Detaches the link pinned for p, if any, and removes its pin. */
static int drop_pinned_link(struct idg_gate *gate, enum idg_gate_program p, struct idg_error *err)
{
	char path[PATH_MAX];
	int fd;

	if (gate_pin_path(path, sizeof(path), gate->bpffs_dir, gate_programs[p].link_pin) < 0)
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : idg_error_errno(err, -errno, "cannot open %s", path);
	if (bpf_link_detach(fd) < 0 && errno != ENOLINK) {
		int r = -errno;

		(void)close(fd);
		return idg_error_errno(err, r, "cannot detach the link pinned at %s", path);
	}
	(void)close(fd);
	if (unlink(path) < 0 && errno != ENOENT)
		return idg_error_errno(err, -errno, "cannot remove %s", path);
	return 0;
}

int idg_gate_attach(struct idg_gate *gate, struct idg_error *err)
{
	bool device_fresh = false;
	int r;

	r = promote_standby(gate, err);
	if (r < 0)
		return r;
	/* In the order of the enum: the standby device program runs after
	 * the main one, so when the main link is new, the standby gets a new
	 * link after it too. */
	for (int which = 0; which < IDG_PROG_COUNT; which++) {
		bool fresh = false;

		if (!link_program(gate, which) || gate->links[which])
			continue;
		r = attach_one(gate, which, which == IDG_PROG_DEVICE_STANDBY && device_fresh, &fresh, err);
		if (r < 0)
			return r;
		if (which == IDG_PROG_DEVICE)
			device_fresh = fresh;
	}
	/* A standby link of an earlier start whose program did not load this
	 * time would now run before a new main link: let it go. */
	if (device_fresh && !link_program(gate, IDG_PROG_DEVICE_STANDBY)) {
		r = drop_pinned_link(gate, IDG_PROG_DEVICE_STANDBY, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int idg_gate_lock(const char *bpffs_dir, int *ret_fd, struct idg_error *err)
{
	int fd = open(bpffs_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot open %s", bpffs_dir);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = errno == EWOULDBLOCK ? -EBUSY : -errno;

		(void)close(fd);
		if (r == -EBUSY)
			return idg_error_set(err, r, "another idguardd is running with the pins in %s", bpffs_dir);
		return idg_error_errno(err, r, "cannot lock %s", bpffs_dir);
	}
	*ret_fd = fd;
	return 0;
}

int idg_gate_check(struct idg_gate *gate, struct idg_error *err)
{
	char path[PATH_MAX];
	uint64_t cgroup_id = 0;
	int r = 0;

	for (int which = 0; which < IDG_PROG_COUNT; which++) {
		if (!gate->links[which])
			continue;
		r = link_cgroup(bpf_link__fd(gate->links[which]), &cgroup_id);
		if (r < 0)
			return idg_error_errno(err, r, "cannot query our %s link", gate_programs[which].hook);
		if (cgroup_id != gate->cgroup_id)
			return idg_error_set(err, -ENOLINK, "the %s link was detached from %s by someone else",
					     gate_programs[which].hook, gate->cgroup_path);
	}
	r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(pinned_maps) + IDG_PROG_COUNT; i++) {
		bool is_map = i < ARRAY_SIZE(pinned_maps);
		size_t which = i - ARRAY_SIZE(pinned_maps);
		const char *name = is_map ? pinned_maps[i] : gate_programs[which].link_pin;
		int fd;

		if (!is_map && !gate->links[which])
			continue;
		if (gate_pin_path(path, sizeof(path), gate->bpffs_dir, name) < 0 || access(path, F_OK) == 0)
			continue;
		fd = is_map ? bpf_map__fd(bpf_object__find_map_by_name(gate->skel->obj, name))
			    : bpf_link__fd(gate->links[which]);
		if (bpf_obj_pin(fd, path) < 0)
			return idg_error_errno(err, -errno, "pin %s was removed and cannot be restored", path);
		r = idg_error_set(err, -ESTALE, "pin %s was removed by someone else; restored", path);
	}
	return r < 0 ? r : 0;
}

int idg_gate_inspect_pins(const char *bpffs_dir, struct idg_gate_pins *ret, struct idg_error *err)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, r;

	memset(ret, 0, sizeof(*ret));
	if (gate_pin_path(path, sizeof(path), bpffs_dir, "config") < 0)
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		ret->maps_pinned = true;
		(void)bpf_map_lookup_elem(fd, &zero, &ret->config);
		(void)close(fd);
	} else if (errno != ENOENT) {
		return idg_error_errno(err, -errno, "cannot open %s", path);
	}
	(void)gate_pin_path(path, sizeof(path), bpffs_dir, "stats");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		r = gate_sum_stats(fd, ret->stats);
		(void)close(fd);
		if (r < 0)
			return idg_error_errno(err, r, "cannot read %s", path);
	}
	/* The device gate enforces while either of its links is attached;
	 * the main one is described when it is. */
	for (int which = IDG_PROG_DEVICE; which <= IDG_PROG_DEVICE_STANDBY && !ret->link_attached; which++) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);

		(void)gate_pin_path(path, sizeof(path), bpffs_dir, gate_programs[which].link_pin);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		ret->link_pinned = true;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			ret->link_id = info.id;
			ret->prog_id = info.prog_id;
			ret->cgroup_id = info.cgroup.cgroup_id;
			ret->link_attached = info.cgroup.cgroup_id != 0;
		}
		(void)close(fd);
	}
	return 0;
}

struct drain_context {
	idg_event_handler handler;
	void *userdata;
	int count;
};

/* Records of layout 1 are a prefix of today's (the network fields were
 * appended), so an uninstall after an upgrade still reads them. */
#define IDG_EVENT_V1_SIZE offsetof(struct idg_event, addr)

static int on_drained_record(void *ctx, void *data, size_t size)
{
	struct drain_context *drain = ctx;
	struct idg_event ev = { 0 };

	if (size >= IDG_EVENT_V1_SIZE) {
		memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
		drain->handler(&ev, drain->userdata);
		drain->count++;
	}
	return 0;
}

/* With the link detached nothing writes any more: read what is left. */
static int drain_pins(const char *bpffs_dir, struct drain_context *drain, struct idg_error *err)
{
	char path[PATH_MAX];
	struct ring_buffer *ring;
	struct idg_repeat_slot slot;
	int fd;

	(void)gate_pin_path(path, sizeof(path), bpffs_dir, "events");
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		ring = ring_buffer__new(fd, on_drained_record, drain, NULL);
		if (!ring) {
			int r = -errno;

			(void)close(fd);
			return idg_error_errno(err, r, "cannot read %s", path);
		}
		(void)ring_buffer__consume(ring);
		ring_buffer__free(ring);
		(void)close(fd);
	}
	(void)gate_pin_path(path, sizeof(path), bpffs_dir, "repeat_slots");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	for (__u32 i = 0; i < IDG_REPEAT_SLOTS; i++) {
		memset(&slot, 0, sizeof(slot)); /* an older, shorter slot leaves the tail */
		if (bpf_map_lookup_elem(fd, &i, &slot) < 0 || !slot.pending)
			continue;
		slot.first.kind = IDG_EVENT_REPEAT;
		slot.first.count = slot.pending;
		drain->handler(&slot.first, drain->userdata);
		drain->count++;
	}
	(void)close(fd);
	return 0;
}

int idg_gate_uninstall(const char *bpffs_dir, idg_event_handler drain_handler, void *userdata,
		       struct idg_error *err)
{
	struct drain_context drain = { .handler = drain_handler, .userdata = userdata };
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;
	int fd, r;

	for (int which = 0; which < IDG_PROG_COUNT; which++) {
		if (!gate_programs[which].link_pin)
			continue;
		if (gate_pin_path(path, sizeof(path), bpffs_dir, gate_programs[which].link_pin) < 0)
			return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_link_detach(fd) < 0 && errno != ENOLINK) {
				r = -errno;
				(void)close(fd);
				return idg_error_errno(err, r, "cannot detach the link pinned at %s", path);
			}
			(void)close(fd);
		} else if (errno != ENOENT) {
			return idg_error_errno(err, -errno, "cannot open %s", path);
		}
	}
	if (drain_handler) {
		r = drain_pins(bpffs_dir, &drain, err);
		if (r < 0)
			return r;
	}
	dir = opendir(bpffs_dir);
	if (!dir) {
		if (errno == ENOENT)
			return 0;
		return idg_error_errno(err, -errno, "cannot open %s", bpffs_dir);
	}
	while ((de = readdir(dir))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		if (gate_pin_path(path, sizeof(path), bpffs_dir, de->d_name) == 0 && unlink(path) < 0) {
			r = -errno;
			(void)closedir(dir);
			return idg_error_errno(err, r, "cannot remove %s", path);
		}
	}
	(void)closedir(dir);
	if (rmdir(bpffs_dir) < 0)
		return idg_error_errno(err, -errno, "cannot remove %s", bpffs_dir);
	return drain.count;
}
