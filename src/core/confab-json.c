/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-json"

#include "config.h"

#include "confab-json.h"

#include <string.h>

/* What json-glib 1.6 gets wrong, mended on both sides of it: before it
 * reads text, and after it writes some. */

static gboolean
read_hex4 (const char *str,
           gsize       avail,
           gunichar   *value)
{
  gunichar result = 0;

  if (avail < 4)
    return FALSE;

  for (guint i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (str[i]);

      if (digit < 0)
        return FALSE;
      result = result * 16 + (gunichar) digit;
    }

  *value = result;
  return TRUE;
}

static gboolean
is_space (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static gboolean
is_plain (guchar c)
{
  /* Outside strings, JSON has only structure, numbers and the literals. */
  return g_ascii_isalnum (c) || is_space (c) ||
         c == ':' || c == ',' || c == '-' || c == '+' || c == '.';
}

/**
 * confab_json_scan:
 * @data: the text, not necessarily nul-terminated
 * @len: its length in bytes
 * @owned: (inout): %NULL, or @data itself when the caller owns it
 * @where: (out): where the text stops being readable, or @len
 *
 * Checks what json-glib 1.6 gets wrong before it sees the data; the chunk
 * parser and the import both call it.
 *
 * - It accepts single quotes, comments, unknown escapes and `var x = …`,
 *   which would let the nesting count below miss brackets, and text after
 *   the top-level object or array, which would hide a second document
 *   after the first. All of that is refused: servers and tools write strict JSON.
 * - Nesting deeper than %CONFAB_JSON_MAX_DEPTH overflows its stack.
 * - A lone surrogate escape (`\ud800`) makes it fail the whole document or
 *   eat the character after it, and `\u0000` cuts the string short. Both
 *   are rewritten as `\ufffd`, which has the same length, in *@owned: a new
 *   copy the first time, or @data itself when *@owned is @data.
 *
 * It also tells a text cut short from other damage.
 *
 * Returns: what the text is
 */
ConfabJsonScan
confab_json_scan (const char  *data,
                  gsize        len,
                  char       **owned,
                  gsize       *where)
{
  gboolean in_string = FALSE;
  gboolean started = FALSE;
  gboolean closed = FALSE;
  guint depth = 0;
  gsize i = 0;

  while (i < len)
    {
      guchar c = data[i];
      gunichar value;
      gunichar low;

      *where = i;

      if (!in_string)
        {
          /* After the top-level object or array, only white space. */
          if (closed && !is_space (c))
            return CONFAB_JSON_SCAN_TRAILING;
          if (!is_space (c))
            started = TRUE;

          if (c == '"')
            in_string = TRUE;
          else if (c == '{' || c == '[')
            {
              if (++depth > CONFAB_JSON_MAX_DEPTH)
                return CONFAB_JSON_SCAN_TOO_DEEP;
            }
          else if (c == '}' || c == ']')
            {
              if (depth == 0)
                return CONFAB_JSON_SCAN_INVALID;
              closed = --depth == 0;
            }
          else if (!is_plain (c))
            return CONFAB_JSON_SCAN_INVALID;

          i++;
          continue;
        }

      if (c == '"')
        {
          in_string = FALSE;
          i++;
          continue;
        }

      if (c != '\\')
        {
          i++;
          continue;
        }

      if (i + 1 >= len)
        return CONFAB_JSON_SCAN_TRUNCATED;

      switch (data[i + 1])
        {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          i += 2;
          continue;

        case 'u':
          break;

        default:
          return CONFAB_JSON_SCAN_INVALID;
        }

      if (i + 6 > len)
        return CONFAB_JSON_SCAN_TRUNCATED;
      if (!read_hex4 (data + i + 2, len - i - 2, &value))
        return CONFAB_JSON_SCAN_INVALID;

      if (value >= 0xd800 && value <= 0xdbff &&
          i + 12 <= len && data[i + 6] == '\\' && data[i + 7] == 'u' &&
          read_hex4 (data + i + 8, 4, &low) && low >= 0xdc00 && low <= 0xdfff)
        {
          i += 12;
          continue;
        }

      if (value == 0 || (value >= 0xd800 && value <= 0xdfff))
        {
          if (*owned == NULL)
            {
              *owned = g_malloc (len + 1);
              memcpy (*owned, data, len);
              (*owned)[len] = '\0';
            }
          memcpy (*owned + i + 2, "fffd", 4);
        }

      i += 6;
    }

  *where = len;

  if (!started)
    return CONFAB_JSON_SCAN_EMPTY;
  if (in_string || depth > 0)
    return CONFAB_JSON_SCAN_TRUNCATED;

  return CONFAB_JSON_SCAN_OK;
}

/**
 * confab_json_append_strict:
 * @out: where to append
 * @json: what json_generator_to_data () wrote
 * @len: its length
 *
 * json-glib 1.6 escapes control characters below U+001F but writes U+001F
 * itself as a raw byte, which is not JSON: Python's json module, behind
 * many servers, refuses it. No byte of a multi-byte UTF-8 sequence is
 * below 0x80, and the generator writes no 0x1f outside strings, so the
 * raw byte is replaced wherever it is.
 */
void
confab_json_append_strict (GString    *out,
                           const char *json,
                           gsize       len)
{
  const char *start = json;
  const char *end = json + len;
  const char *found;

  while ((found = memchr (start, 0x1f, (size_t) (end - start))) != NULL)
    {
      g_string_append_len (out, start, (gssize) (found - start));
      g_string_append (out, "\\u001f");
      start = found + 1;
    }
  g_string_append_len (out, start, (gssize) (end - start));
}
