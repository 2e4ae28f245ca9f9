// SPDX-License-Identifier: GPL-2.0-only
/* Building and sending journal records (see journal.h). */
#include "journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "idnumber.h"
#include "util.h"

#define JOURNALD_SOCKET "/run/systemd/journal/socket"

static enum idg_journal_target journal_target;

void idg_record_init(struct idg_record *rec, const char *message_id, int priority)
{
	rec->used = 0;
	rec->count = 0;
	rec->truncated = false;
	rec->withheld[0] = '\0';
	idg_record_add(rec, "MESSAGE_ID", "%s", message_id);
	idg_record_add(rec, "PRIORITY", "%d", priority);
}

void idg_record_add(struct idg_record *rec, const char *field, const char *fmt, ...)
{
	size_t room = sizeof(rec->buf) - rec->used, start = rec->used;
	char *dst = rec->buf + rec->used, *nl;
	bool cut = false;
	va_list ap;
	int n, k;

	if (rec->count == IDG_RECORD_MAX_FIELDS) {
		rec->truncated = true;
		return;
	}
	k = snprintf(dst, room, "%s=", field);
	if (k < 0 || (size_t)k >= room) {
		rec->truncated = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(dst + k, room - (size_t)k, fmt, ap);
	va_end(ap);
	if (n < 0) {
		rec->truncated = true;
		return;
	}
	if ((size_t)n >= room - (size_t)k) {
		rec->truncated = cut = true;
		n = (int)(room - (size_t)k - 1);
	}
	/* One field, one line: a newline in a value (a comm, a path) would
	 * otherwise break the stderr format and confuse readers. */
	nl = memchr(dst + k, '\n', (size_t)n);
	if (nl)
		n = (int)(nl - (dst + k));
	dst[k + n] = '\0';
	/* A value cut short may end in part of a number the whole of which
	 * would have been withheld: no digits at a cut (of this value only:
	 * the record's flag stays set for the fields after it). */
	if (cut)
		while (n > 0 && ((dst[k + n - 1] >= '0' && dst[k + n - 1] <= '9') || (unsigned char)dst[k + n - 1] >= 0x80))
			dst[k + --n] = '\0';
	if (idg_withhold(dst + k)) {
		size_t used = strlen(rec->withheld);

		n = (int)strlen(dst + k);
		(void)snprintf(rec->withheld + used, sizeof(rec->withheld) - used, "%s%s", used ? " " : "", field);
	}
	rec->offsets[rec->count++] = start;
	rec->used += (size_t)k + (size_t)n + 1;
}

const char *idg_record_get(const struct idg_record *rec, const char *field)
{
	size_t len = strlen(field);

	for (size_t i = 0; i < rec->count; i++) {
		const char *f = rec->buf + rec->offsets[i];

		if (!strncmp(f, field, len) && f[len] == '=')
			return f + len + 1;
	}
	return NULL;
}

const char *idg_journal_open(enum idg_journal_target target)
{
	journal_target = target;
	if (target == IDG_JOURNAL_STDERR)
		return "stderr";
	return idg_journal_is_journald()
		       ? "journald (read them with: journalctl -t idguardd)"
		       : "stderr, until journald starts (no journald socket at " JOURNALD_SOCKET ")";
}

bool idg_journal_is_journald(void)
{
	return journal_target == IDG_JOURNAL_AUTO && access(JOURNALD_SOCKET, W_OK) == 0;
}

/* One line per record: the sentence a person reads, then every field. */
static void write_stderr(const struct idg_record *rec)
{
	const char *message = idg_record_get(rec, "MESSAGE");

	flockfile(stderr);
	(void)fprintf(stderr, "%s |", message ? message : "");
	for (size_t i = 0; i < rec->count; i++) {
		const char *f = rec->buf + rec->offsets[i];

		if (strncmp(f, "MESSAGE=", 8))
			(void)fprintf(stderr, " %s", f);
	}
	if (rec->truncated)
		(void)fprintf(stderr, " IDGUARD_TRUNCATED=1");
	if (rec->withheld[0])
		(void)fprintf(stderr, " IDGUARD_WITHHELD=%s", rec->withheld);
	(void)fputc('\n', stderr);
	funlockfile(stderr);
}

int idg_journal_send(const struct idg_record *rec)
{
	struct iovec iov[IDG_RECORD_MAX_FIELDS + 3];
	char withheld[sizeof(rec->withheld) + 20];
	size_t n = 0;
	int r;

	/* sd_journal_sendv() reports success when no journald listens (it
	 * drops the record on purpose), so look for the socket ourselves. */
	if (!idg_journal_is_journald()) {
		write_stderr(rec);
		return 0;
	}
	for (size_t i = 0; i < rec->count; i++) {
		iov[n].iov_base = (void *)(rec->buf + rec->offsets[i]);
		iov[n].iov_len = strlen(rec->buf + rec->offsets[i]);
		n++;
	}
	if (rec->truncated) {
		iov[n].iov_base = (void *)"IDGUARD_TRUNCATED=1";
		iov[n].iov_len = strlen("IDGUARD_TRUNCATED=1");
		n++;
	}
	if (rec->withheld[0]) {
		(void)snprintf(withheld, sizeof(withheld), "IDGUARD_WITHHELD=%s", rec->withheld);
		iov[n].iov_base = withheld;
		iov[n].iov_len = strlen(withheld);
		n++;
	}
	iov[n].iov_base = (void *)"SYSLOG_IDENTIFIER=idguardd";
	iov[n].iov_len = strlen("SYSLOG_IDENTIFIER=idguardd");
	n++;
	r = sd_journal_sendv(iov, (int)n);
	if (r < 0) {
		/* journald went away or refused: keep the record on stderr. */
		write_stderr(rec);
		return r;
	}
	return 0;
}
