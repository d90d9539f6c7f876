/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-text"

#include "config.h"

#include "confab-text.h"

/**
 * confab_text_quote_server:
 * @text: (nullable): text a server sent, in any encoding it likes
 * @len: its length in bytes, or -1 when it is nul-terminated
 *
 * Server text is untrusted: it is repaired, stripped and shortened
 * before it goes into a sentence for the user. Line breaks and tabs
 * become spaces and other control characters go, so the sentence stays
 * one line.
 *
 * Returns: (transfer full) (nullable): the text to quote, or %NULL when
 *   nothing readable is left
 */
char *
confab_text_quote_server (const char *text,
                          gssize      len)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) out = NULL;
  const char *p;
  guint n = 0;

  if (text == NULL)
    return NULL;

  valid = g_utf8_make_valid (text, len);
  g_strstrip (valid);
  if (*valid == '\0')
    return NULL;

  out = g_string_new (NULL);
  for (p = valid; *p != '\0' && n < CONFAB_TEXT_MAX_QUOTED_CHARS; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == '\r' || c == '\t')
        g_string_append_c (out, ' ');
      else if (!g_unichar_iscntrl (c))
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");

  return g_string_free (g_steal_pointer (&out), FALSE);
}
