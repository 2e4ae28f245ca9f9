// SPDX-License-Identifier: GPL-2.0-only
/* Display width of UTF-8 text (see textwidth.h). */
#include "textwidth.h"

#include <locale.h>
#include <string.h>
#include <wchar.h>

/* wcwidth() by the C.UTF-8 locale's tables, whatever the caller's locale
 * (in "C", glibc knows no width for anything but ASCII). */
static int char_width(wchar_t c)
{
	static locale_t utf8;
	locale_t previous;
	int w;

	if (c < 0x7f)
		return c >= 0x20 ? 1 : 0;
	if (!utf8)
		utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!utf8)
		return 1;
	previous = uselocale(utf8);
	w = wcwidth(c);
	(void)uselocale(previous);
	return w < 0 ? 1 : w;
}

/* The next character of s: its code point and its length in bytes (1 for
 * an invalid byte, taken as one column). */
static size_t next_char(const unsigned char *s, wchar_t *ret)
{
	size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	wchar_t c;

	if (len == 0) {
		*ret = 0xfffd;
		return 1;
	}
	c = len == 1 ? s[0] : s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*ret = 0xfffd;
			return 1;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*ret = c;
	return len;
}

size_t idg_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t width = 0;

	while (p && *p) {
		wchar_t c;

		p += next_char(p, &c);
		width += (size_t)char_width(c);
	}
	return width;
}

size_t idg_text_fit(const char *s, size_t width, char *buf, size_t size)
{
	static const char ellipsis[] = "…";
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t used = 0, columns = 0;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	if (idg_text_width((const char *)p) <= width && strlen((const char *)p) < size) {
		memcpy(buf, p, strlen((const char *)p) + 1);
		return idg_text_width(buf);
	}
	if (width == 0)
		return 0;
	/* Characters while they and the ellipsis still fit. */
	while (*p) {
		wchar_t c;
		size_t len = next_char(p, &c);
		size_t w = (size_t)char_width(c);

		if (columns + w + 1 > width || used + len + sizeof(ellipsis) > size)
			break;
		memcpy(buf + used, p, len);
		used += len;
		columns += w;
		p += len;
	}
	if (used + sizeof(ellipsis) <= size) {
		memcpy(buf + used, ellipsis, sizeof(ellipsis));
		columns++;
	} else {
		buf[used] = '\0';
	}
	return columns;
}

void idg_text_pad(FILE *out, const char *s, size_t width)
{
	size_t w = idg_text_width(s);

	(void)fputs(s, out);
	for (; w < width; w++)
		(void)fputc(' ', out);
}
