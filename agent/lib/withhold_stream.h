/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The last step before a program's own output leaves it: stdout and stderr
 * replaced by streams that withhold ID-number-shaped text (idg_withhold())
 * on the way out. Whatever a command prints (an error quoting a policy
 * line, a value from a reply, a row of `audit`), it cannot print card data,
 * without each call site having to remember to check (Article 8).
 */
#ifndef IDG_WITHHOLD_STREAM_H
#define IDG_WITHHOLD_STREAM_H

/* Replaces stdout and stderr; call first thing in main(). Their buffering
 * stays as it was (line-buffered on a terminal). -errno when a stream
 * cannot be made, and the originals are kept. */
int idg_withhold_stdio(void);

#endif
