// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one-shot retry timer each part of idguard-notify keeps (reaching
 * idguardd, the session bus, the notification server again).
 */
#include "notify.h"

int notify_timer_arm(sd_event *event, sd_event_source **source, uint64_t delay_usec,
		     sd_event_time_handler_t handler, void *userdata)
{
	int r;

	if (!*source)
		return sd_event_add_time_relative(event, source, CLOCK_MONOTONIC, delay_usec, 0, handler, userdata);
	r = sd_event_source_set_time_relative(*source, delay_usec);
	return r < 0 ? r : sd_event_source_set_enabled(*source, SD_EVENT_ONESHOT);
}
