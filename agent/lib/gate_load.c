// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opening the gate: what the running kernel offers (the unix-socket hook,
 * which helpers each program type may call), then loading the programs it
 * takes. The device program is required; when the verifier refuses another
 * one, it is left out and the object loaded again without it, so that an
 * optional program never keeps the gate from attaching. A refusal is
 * reported as what it is: the program, the kernel, the verifier's last words.
 */
#include "gate_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/capability.h>

#include "mounts.h"

#define VERIFIER_TAIL_LINES 8

/* Each program: its name in messages, where its link is pinned, and the
 * hook it attaches to (the flush is run by the daemon, never attached). */
const struct gate_program_info gate_programs[IDG_PROG_COUNT] = {
	[IDG_PROG_DEVICE] = { "device", IDG_LINK_PIN_NAME, "cgroup/dev" },
	[IDG_PROG_DEVICE_STANDBY] = { "device-standby", "link_dev_standby", "cgroup/dev (standby)" },
	[IDG_PROG_CONNECT4] = { "connect4", "link_connect4", "cgroup/connect4" },
	[IDG_PROG_CONNECT6] = { "connect6", "link_connect6", "cgroup/connect6" },
	[IDG_PROG_CONNECT_UNIX] = { "connect-unix", "link_connect_unix", "cgroup/connect_unix" },
	[IDG_PROG_FLUSH] = { "flush", NULL, NULL },
};

const char *idg_gate_program_name(enum idg_gate_program p)
{
	return (unsigned)p < IDG_PROG_COUNT ? gate_programs[p].name : "?";
}

struct bpf_program *gate_program(const struct idg_gate *gate, enum idg_gate_program p)
{
	if (!gate->skel)
		return NULL;
	switch (p) {
	case IDG_PROG_DEVICE:
		return gate->skel->progs.idguard_dev;
	case IDG_PROG_DEVICE_STANDBY:
		return gate->skel->progs.idguard_dev_standby;
	case IDG_PROG_CONNECT4:
		return gate->skel->progs.idguard_connect4;
	case IDG_PROG_CONNECT6:
		return gate->skel->progs.idguard_connect6;
	case IDG_PROG_CONNECT_UNIX:
		return gate->skel->progs.idguard_connect_unix;
	case IDG_PROG_FLUSH:
		return gate->skel->progs.idguard_flush;
	default:
		return NULL;
	}
}

int gate_pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* ---- what the kernel offers ------------------------------------------------ */

static bool probe_unix_hook(void)
{
	/* "return 1", loaded as a unix-connect program: the kernel says
	 * whether it knows the attach type. */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = (enum bpf_attach_type)IDG_ATTACH_UNIX_CONNECT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL, "GPL", insns, ARRAY_SIZE(insns), &opts);

	if (fd < 0)
		return false;
	(void)close(fd);
	return true;
}

/* The helpers of enum idg_helper that programs of type may call here. */
static uint32_t probe_helpers(enum bpf_prog_type type)
{
	static const struct {
		enum bpf_func_id id;
		uint32_t bit;
	} helpers[] = {
		{ BPF_FUNC_get_current_pid_tgid, IDG_HELPER_PID_TGID },
		{ BPF_FUNC_get_current_comm, IDG_HELPER_COMM },
		{ BPF_FUNC_get_current_ancestor_cgroup_id, IDG_HELPER_ANCESTOR_CGROUP },
	};
	uint32_t bits = 0;

	for (size_t i = 0; i < ARRAY_SIZE(helpers); i++)
		if (libbpf_probe_bpf_helper(type, helpers[i].id, NULL) == 1)
			bits |= helpers[i].bit;
	return bits;
}

/* ---- what libbpf says while loading ------------------------------------------ */

/* libbpf reports through one process-wide print callback: while the object
 * loads, ours notes which program failed and keeps the end of its verifier
 * log, and passes everything else on to the caller's callback. */
struct load_report {
	char failed_prog[64];    /* the skeleton's name of the program refused */
	char failed_errno[64];   /* libbpf's words for the error */
	char *verifier_tail;     /* the last lines of the verifier's log */
	char failed_map[64];     /* a map that could not be created */
	int map_error;
};

static struct load_report *current_report;
static libbpf_print_fn_t forward_print;

static void copy_name(char *dst, size_t size, const char *src)
{
	(void)snprintf(dst, size, "%s", src ? src : "");
}

/* The last lines of log, each prefixed with two spaces. */
static char *log_tail(const char *log, int lines)
{
	size_t len = log ? strlen(log) : 0, newlines = 0;
	const char *start;
	char *out, *o;

	while (len && (log[len - 1] == '\n' || log[len - 1] == ' '))
		len--;
	start = log + len;
	while (start > log && lines > 0) {
		start--;
		if (*start == '\n' && --lines == 0) {
			start++;
			break;
		}
	}
	for (const char *c = start; c < log + len; c++)
		newlines += *c == '\n';
	/* Two spaces before the first line and after every newline. */
	out = malloc((size_t)(log + len - start) + 2 * (newlines + 1) + 1);
	if (!out)
		return NULL;
	o = out;
	*o++ = ' ';
	*o++ = ' ';
	for (const char *c = start; c < log + len; c++) {
		*o++ = *c;
		if (*c == '\n') {
			*o++ = ' ';
			*o++ = ' ';
		}
	}
	*o = '\0';
	return out;
}

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct load_report *report = current_report;
	va_list args;

	if (report) {
		va_copy(args, ap);
		if (strstr(fmt, "-- BEGIN PROG LOAD LOG --")) {
			const char *prog = va_arg(args, const char *);
			const char *log = va_arg(args, const char *);

			copy_name(report->failed_prog, sizeof(report->failed_prog), prog);
			free(report->verifier_tail);
			report->verifier_tail = log_tail(log, VERIFIER_TAIL_LINES);
			va_end(args);
			/* The whole log can run to megabytes: the tail is reported. */
			return 0;
		}
		if (strstr(fmt, "prog '%s': BPF program load failed: %s")) {
			copy_name(report->failed_prog, sizeof(report->failed_prog), va_arg(args, const char *));
			copy_name(report->failed_errno, sizeof(report->failed_errno), va_arg(args, const char *));
		} else if (strstr(fmt, "prog '%s': failed to load")) {
			copy_name(report->failed_prog, sizeof(report->failed_prog), va_arg(args, const char *));
		} else if (strstr(fmt, "map '%s': failed to create: %s(%d)")) {
			copy_name(report->failed_map, sizeof(report->failed_map), va_arg(args, const char *));
			(void)va_arg(args, const char *);
			report->map_error = va_arg(args, int);
		}
		va_end(args);
	}
	return forward_print ? forward_print(level, fmt, ap) : 0;
}

static enum idg_gate_program program_by_name(const struct idg_gate *gate, const char *name)
{
	for (int p = 0; p < IDG_PROG_COUNT; p++)
		if (gate_program(gate, p) && streq(bpf_program__name(gate_program(gate, p)), name))
			return p;
	return IDG_PROG_COUNT;
}

/* ---- loading ----------------------------------------------------------------- */

/* Reads the pinned config map, if any, to refuse state of another layout. */
static int check_pinned_abi(const char *dir, bool *ret_found, struct idg_error *err)
{
	char path[PATH_MAX];
	struct idg_config cfg = { 0 };
	__u32 zero = 0;
	int fd;

	*ret_found = false;
	if (gate_pin_path(path, sizeof(path), dir, "config") < 0)
		return idg_error_set(err, -ENAMETOOLONG, "bpffs path too long");
	if (access(path, F_OK) < 0)
		return 0;
	*ret_found = true;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return idg_error_errno(err, -errno, "cannot open pinned map %s", path);
	if (bpf_map_lookup_elem(fd, &zero, &cfg) < 0) {
		int r = -errno;

		(void)close(fd);
		return idg_error_errno(err, r, "cannot read pinned map %s", path);
	}
	(void)close(fd);
	if (cfg.abi_version && cfg.abi_version != IDG_ABI_VERSION)
		return idg_error_set(err, -EPROTO,
				     "the state pinned in %s was written by an idguard with map layout %u; this one uses %u. "
				     "Enforcement by the old programs continues. Run 'idguardctl uninstall --bpffs-dir %s' to replace it",
				     dir, cfg.abi_version, IDG_ABI_VERSION, dir);
	return 0;
}

static void set_problem(struct idg_gate *gate, enum idg_gate_program p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_problem(struct idg_gate *gate, enum idg_gate_program p, const char *fmt, ...)
{
	va_list ap;

	free(gate->problem[p]);
	gate->problem[p] = NULL;
	va_start(ap, fmt);
	if (vasprintf(&gate->problem[p], fmt, ap) < 0)
		gate->problem[p] = NULL;
	va_end(ap);
}

/* Why the object did not load, when no program can be left out for it. */
static int report_load_failure(struct idg_gate *gate, const struct load_report *report, int r, struct idg_error *err)
{
	struct rlimit memlock;

	if (report->failed_map[0]) {
		if (report->map_error == -EPERM && getrlimit(RLIMIT_MEMLOCK, &memlock) == 0 &&
		    memlock.rlim_cur != RLIM_INFINITY)
			return idg_error_set(err, r,
					     "cannot create the BPF map '%s' on Linux %s: Operation not permitted. Before "
					     "Linux 5.11 maps count against RLIMIT_MEMLOCK, here %llu KiB: raise it "
					     "(LimitMEMLOCK=infinity in idguard.service, or ulimit -l unlimited)",
					     report->failed_map, gate->kernel, (unsigned long long)memlock.rlim_cur / 1024);
		return idg_error_set(err, r, "cannot create the BPF map '%s' on Linux %s: %s", report->failed_map,
				     gate->kernel, strerror(report->map_error < 0 ? -report->map_error : EIO));
	}
	if (report->failed_prog[0] && report->verifier_tail)
		return idg_error_set(err, r,
				     "the kernel's verifier (Linux %s) refused the %s program '%s', so the gate cannot "
				     "attach; its last words:\n%s",
				     gate->kernel, idg_gate_program_name(program_by_name(gate, report->failed_prog)),
				     report->failed_prog, report->verifier_tail);
	if (report->failed_prog[0])
		return idg_error_set(err, r, "Linux %s refused the program '%s': %s", gate->kernel, report->failed_prog,
				     report->failed_errno[0] ? report->failed_errno : strerror(-r));
	if (r == -EPERM || r == -EACCES)
		return idg_error_errno(err, r,
				       "cannot load the BPF programs on Linux %s (needs root with CAP_BPF, "
				       "CAP_NET_ADMIN and CAP_PERFMON)",
				       gate->kernel);
	return idg_error_errno(err, r, "cannot load the BPF programs on Linux %s", gate->kernel);
}

/* Opens and loads the object once, leaving out the programs in leave_out. On
 * failure, *ret_failed names the program the kernel refused (or
 * IDG_PROG_COUNT when it was not a program). */
static int load_once(struct idg_gate *gate, const bool leave_out[IDG_PROG_COUNT], struct load_report *report,
		     enum idg_gate_program *ret_failed, struct idg_error *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = gate->bpffs_dir);
	int r;

	*ret_failed = IDG_PROG_COUNT;
	free(report->verifier_tail);
	memset(report, 0, sizeof(*report));
	gate->skel = gate__open_opts(&open_opts);
	if (!gate->skel)
		return idg_error_errno(err, -errno, "cannot open the BPF object");
	gate->skel->rodata->dev_helpers = gate->dev_helpers;
	gate->skel->rodata->sock_helpers = gate->sock_helpers;
	gate->skel->rodata->marks_since_ns = idg_now_boot_ns();
	for (int p = 0; p < IDG_PROG_COUNT; p++) {
		r = bpf_program__set_autoload(gate_program(gate, p), !leave_out[p]);
		if (r == 0 && p == IDG_PROG_CONNECT_UNIX && !leave_out[p])
			r = bpf_program__set_expected_attach_type(gate_program(gate, p),
								  (enum bpf_attach_type)IDG_ATTACH_UNIX_CONNECT);
		if (r < 0) {
			/* Not the kernel's refusal: no retry, and this message stands. */
			gate__destroy(gate->skel);
			gate->skel = NULL;
			return idg_error_errno(err, r, "cannot prepare the %s program", idg_gate_program_name(p));
		}
	}

	current_report = report;
	forward_print = libbpf_set_print(capture_print);
	r = gate__load(gate->skel);
	(void)libbpf_set_print(forward_print);
	current_report = NULL;
	if (r == 0)
		return 0;
	if (report->failed_prog[0])
		*ret_failed = program_by_name(gate, report->failed_prog);
	return r;
}

static int load_programs(struct idg_gate *gate, struct idg_error *err)
{
	bool leave_out[IDG_PROG_COUNT] = { false };
	struct load_report report = { 0 };
	enum idg_gate_program failed;
	int r;

	if (!probe_unix_hook()) {
		leave_out[IDG_PROG_CONNECT_UNIX] = true;
		set_problem(gate, IDG_PROG_CONNECT_UNIX, "this kernel has no unix-socket connect hook (Linux 6.7+)");
	}
	/* At most one more try per program that can be left out. */
	for (int attempt = 0; attempt < IDG_PROG_COUNT; attempt++) {
		r = load_once(gate, leave_out, &report, &failed, err);
		if (r == 0)
			break;
		if (!gate->skel || failed == IDG_PROG_COUNT || failed == IDG_PROG_DEVICE || leave_out[failed]) {
			if (gate->skel)
				r = report_load_failure(gate, &report, r, err);
			free(report.verifier_tail);
			return r;
		}
		leave_out[failed] = true;
		if (report.verifier_tail)
			set_problem(gate, failed, "the verifier of Linux %s refused it; its last words:\n%s", gate->kernel,
				    report.verifier_tail);
		else
			set_problem(gate, failed, "Linux %s refused it: %s", gate->kernel,
				    report.failed_errno[0] ? report.failed_errno : strerror(-r));
		free(report.verifier_tail);
		report.verifier_tail = NULL;
		gate__destroy(gate->skel);
		gate->skel = NULL;
	}
	free(report.verifier_tail);
	if (r < 0)
		return idg_error_errno(err, r, "cannot load the BPF programs on Linux %s", gate->kernel);
	for (int p = 0; p < IDG_PROG_COUNT; p++)
		gate->loaded[p] = !leave_out[p];
	return 0;
}

int idg_gate_open(const struct idg_gate_options *opts, struct idg_gate **ret_gate, struct idg_error *err)
{
	struct idg_gate *gate = calloc(1, sizeof(*gate));
	struct utsname uts;
	struct statfs sfs;
	int r;

	if (!gate)
		return idg_error_set(err, -ENOMEM, "out of memory");
	if (snprintf(gate->bpffs_dir, sizeof(gate->bpffs_dir), "%s", opts->bpffs_dir) >= (int)sizeof(gate->bpffs_dir) ||
	    snprintf(gate->cgroup_path, sizeof(gate->cgroup_path), "%s", opts->cgroup_path) >= (int)sizeof(gate->cgroup_path)) {
		r = idg_error_set(err, -ENAMETOOLONG, "path too long");
		goto fail;
	}
	(void)snprintf(gate->kernel, sizeof(gate->kernel), "%s", uname(&uts) == 0 ? uts.release : "?");
	if (statfs(gate->cgroup_path, &sfs) < 0) {
		r = idg_error_errno(err, -errno, "cannot use cgroup %s", gate->cgroup_path);
		goto fail;
	}
	if (sfs.f_type != CGROUP2_SUPER_MAGIC) {
		r = idg_error_set(err, -ENOTDIR, "%s is not a cgroup v2 directory", gate->cgroup_path);
		goto fail;
	}
	r = idg_cgroup_id(gate->cgroup_path, &gate->cgroup_id);
	if (r < 0) {
		idg_error_errno(err, r, "cannot use cgroup %s", gate->cgroup_path);
		goto fail;
	}
	r = idg_bpffs_prepare(gate->bpffs_dir, err);
	if (r < 0)
		goto fail;
	r = check_pinned_abi(gate->bpffs_dir, &gate->reused_pins, err);
	if (r < 0)
		goto fail;

	if (opts->helpers < 0) {
		gate->dev_helpers = probe_helpers(BPF_PROG_TYPE_CGROUP_DEVICE);
		gate->sock_helpers = probe_helpers(BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
	} else {
		gate->dev_helpers = gate->sock_helpers = (uint32_t)opts->helpers & IDG_HELPER_ALL;
	}
	r = load_programs(gate, err);
	if (r < 0)
		goto fail;
	if (!gate->reused_pins) {
		struct idg_config cfg = { .abi_version = IDG_ABI_VERSION, .repeat_window_ns = 1000000000ull };

		r = idg_gate_set_config(gate, &cfg, err);
		if (r < 0)
			goto fail;
	}
	*ret_gate = gate;
	return 0;
fail:
	idg_gate_close(gate);
	return r;
}

void idg_gate_close(struct idg_gate *gate)
{
	if (!gate)
		return;
	ring_buffer__free(gate->ring);
	/* Closes our fds only: the pinned links keep the programs attached. */
	for (int p = 0; p < IDG_PROG_COUNT; p++) {
		bpf_link__destroy(gate->links[p]);
		free(gate->problem[p]);
	}
	gate__destroy(gate->skel);
	free(gate->rules_written);
	free(gate->ports_written);
	free(gate);
}

int idg_gate_fds_need_cap_bpf(struct idg_gate *gate)
{
	int fd = bpf_map__fd(gate->skel->maps.config);
	pid_t pid;
	int status;

	/* Asked of the kernel, not of its version: a child with an empty
	 * capability set tries a map lookup through the fd it inherited. */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct idg_config cfg;
		__u32 zero = 0;
		cap_t none = cap_init();

		if (!none || cap_set_proc(none) < 0)
			_exit(2);
		_exit(bpf_map_lookup_elem(fd, &zero, &cfg) == 0 ? 0 : errno == EPERM ? 1 : 2);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 2)
		return -EIO;
	return WEXITSTATUS(status) == 1;
}

bool idg_gate_program_loaded(const struct idg_gate *gate, enum idg_gate_program p)
{
	return (unsigned)p < IDG_PROG_COUNT && gate->loaded[p];
}

const char *idg_gate_program_problem(const struct idg_gate *gate, enum idg_gate_program p)
{
	if ((unsigned)p >= IDG_PROG_COUNT || gate->loaded[p])
		return NULL;
	return gate->problem[p] ? gate->problem[p] : "not loaded";
}

uint32_t idg_gate_device_helpers(const struct idg_gate *gate)
{
	return gate->dev_helpers;
}

uint32_t idg_gate_socket_helpers(const struct idg_gate *gate)
{
	return gate->sock_helpers;
}

const char *idg_gate_kernel(const struct idg_gate *gate)
{
	return gate->kernel;
}

bool idg_gate_reused_pins(const struct idg_gate *gate)
{
	return gate->reused_pins;
}

bool idg_gate_reused_link(const struct idg_gate *gate)
{
	return gate->reused_link;
}

uint64_t idg_gate_cgroup_id(const struct idg_gate *gate)
{
	return gate->cgroup_id;
}

const char *idg_gate_cgroup_path(const struct idg_gate *gate)
{
	return gate->cgroup_path;
}

const char *idg_gate_bpffs_dir(const struct idg_gate *gate)
{
	return gate->bpffs_dir;
}
