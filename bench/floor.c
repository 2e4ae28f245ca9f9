// SPDX-License-Identifier: GPL-2.0-only
/* Attaches the allow-only reference program (floor.bpf.c) to a cgroup for
 * as long as the harness runs: the floor_link is not pinned, so it goes away with
 * the harness, even when the harness is killed. */
#include "bench.h"
#include "bench/floor.skel.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct floor *floor_skel;
static struct bpf_link *floor_link;

int floor_attach(const char *cgroup)
{
	int cg, err;

	floor_skel = floor__open_and_load();
	if (!floor_skel)
		return -errno;
	cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		err = -errno;
		floor_detach();
		return err;
	}
	floor_link = bpf_program__attach_cgroup(floor_skel->progs.allow_every_device, cg);
	err = libbpf_get_error(floor_link);
	close(cg);
	if (err) {
		floor_link = NULL;
		floor_detach();
		return err;
	}
	return 0;
}

void floor_detach(void)
{
	bpf_link__destroy(floor_link);
	floor_link = NULL;
	floor__destroy(floor_skel);
	floor_skel = NULL;
}
