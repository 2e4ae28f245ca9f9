// SPDX-License-Identifier: GPL-2.0-only
/*
 * The benchmark's reference for the kernel's own share: a cgroup/dev
 * program that does nothing but allow. Whatever it costs per device open is
 * the price of the hook itself (the kernel's dispatch into any program
 * attached there), which no program can go below.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("cgroup/dev")
int allow_every_device(struct bpf_cgroup_dev_ctx *ctx)
{
	return 1;
}
