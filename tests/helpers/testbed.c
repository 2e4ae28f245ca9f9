// SPDX-License-Identifier: GPL-2.0-only
/*
 * testbed: owns a umockdev testbed (simulated sysfs and udev) and plugs and
 * unplugs devices in it on command, sending the uevents a udev monitor in
 * another process sees. Run it under umockdev-wrapper; the testbed's
 * directory is printed first, and processes started with UMOCKDEV_DIR set to
 * it (also under umockdev-wrapper) see its devices.
 *
 * Commands, one per line on stdin; each answers one line, "ok" or "error: ...":
 *   plug FILE        adds the devices of a .umockdev description (lines
 *                    starting with '#' are comments); umockdev sends "add"
 *                    for each, parents first
 *   unplug SYSPATH   sends "remove" for the device and every device below
 *                    it, children first, then removes them
 *   uevent SYSPATH ACTION
 * The testbed is removed when stdin closes.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <umockdev.h>
#include <unistd.h>

#define MAX_DEVICES 256

static char *devices[MAX_DEVICES]; /* syspaths plugged, in order */
static char *nodes[MAX_DEVICES];   /* their N: lines (relative to /dev), or NULL */
static size_t n_devices;

static void forget(size_t i)
{
	free(devices[i]);
	free(nodes[i]);
	memmove(&devices[i], &devices[i + 1], (n_devices - i - 1) * sizeof(*devices));
	memmove(&nodes[i], &nodes[i + 1], (n_devices - i - 1) * sizeof(*nodes));
	n_devices--;
}

static int plug(UMockdevTestbed *bed, const char *file)
{
	char line[4096], *text = NULL, *paths[MAX_DEVICES], *path_nodes[MAX_DEVICES] = { 0 };
	size_t size = 0, n_paths = 0;
	FILE *in = fopen(file, "re"), *out;
	GError *error = NULL;
	gboolean ok;

	if (!in) {
		printf("error: cannot open %s: %s\n", file, strerror(errno));
		return -1;
	}
	out = open_memstream(&text, &size);
	while (fgets(line, sizeof(line), in)) {
		if (line[0] == '#')
			continue;
		fputs(line, out);
		if (!strncmp(line, "P: ", 3) && n_paths < MAX_DEVICES) {
			line[strcspn(line, "\n")] = '\0';
			if (asprintf(&paths[n_paths], "/sys%s", line + 3) > 0)
				n_paths++;
		} else if (!strncmp(line, "N: ", 3) && n_paths > 0 && !path_nodes[n_paths - 1]) {
			line[strcspn(line, "\n")] = '\0';
			path_nodes[n_paths - 1] = strdup(line + 3);
		}
	}
	fclose(in);
	fclose(out);
	ok = umockdev_testbed_add_from_string(bed, text, &error);
	free(text);
	if (!ok) {
		printf("error: %s: %s\n", file, error->message);
		g_error_free(error);
		for (size_t i = 0; i < n_paths; i++) {
			free(paths[i]);
			free(path_nodes[i]);
		}
		return -1;
	}
	for (size_t i = 0; i < n_paths; i++) {
		if (n_devices < MAX_DEVICES) {
			devices[n_devices] = paths[i];
			nodes[n_devices++] = path_nodes[i];
		} else {
			free(paths[i]);
			free(path_nodes[i]);
		}
	}
	printf("ok\n");
	return 0;
}

static int under(const char *path, const char *top)
{
	size_t len = strlen(top);

	return !strncmp(path, top, len) && (path[len] == '\0' || path[len] == '/');
}

static int drop_if_dangling(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct stat target;

	if (type == FTW_SL && stat(path, &target) < 0)
		unlink(path);
	return 0;
}

static int unplug(UMockdevTestbed *bed, const char *syspath)
{
	int found = 0;

	/* Children were plugged after their parents: remove in reverse. */
	for (size_t i = n_devices; i-- > 0;) {
		if (!under(devices[i], syspath))
			continue;
		umockdev_testbed_uevent(bed, devices[i], "remove");
		found = 1;
	}
	if (!found) {
		printf("error: %s was not plugged\n", syspath);
		return -1;
	}
	umockdev_testbed_remove_device(bed, syspath);
	for (size_t i = 0; i < n_devices; i++) {
		char *node_path;

		if (!under(devices[i], syspath) || !nodes[i] ||
		    asprintf(&node_path, "%s/dev/%s", umockdev_testbed_get_root_dir(bed), nodes[i]) < 0)
			continue;
		unlink(node_path);
		free(node_path);
	}
	/* umockdev leaves links (in /sys/class, /sys/bus, its node info)
	 * to what it removed, and would refuse to add the same device again. */
	nftw(umockdev_testbed_get_root_dir(bed), drop_if_dangling, 16, FTW_PHYS);
	for (size_t i = n_devices; i-- > 0;)
		if (under(devices[i], syspath))
			forget(i);
	printf("ok\n");
	return 0;
}

int main(void)
{
	UMockdevTestbed *bed = umockdev_testbed_new();
	char line[4096];

	if (!umockdev_in_mock_environment()) {
		fprintf(stderr, "testbed: run me under umockdev-wrapper\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("%s\n", umockdev_testbed_get_root_dir(bed));
	while (fgets(line, sizeof(line), stdin)) {
		char *arg, *action;

		line[strcspn(line, "\n")] = '\0';
		arg = strchr(line, ' ');
		if (arg)
			*arg++ = '\0';
		if (!strcmp(line, "plug") && arg) {
			plug(bed, arg);
		} else if (!strcmp(line, "unplug") && arg) {
			unplug(bed, arg);
		} else if (!strcmp(line, "uevent") && arg && (action = strchr(arg, ' '))) {
			*action++ = '\0';
			umockdev_testbed_uevent(bed, arg, action);
			printf("ok\n");
		} else {
			printf("error: unknown command '%s'\n", line);
		}
	}
	while (n_devices)
		forget(n_devices - 1);
	g_object_unref(bed);
	return 0;
}
