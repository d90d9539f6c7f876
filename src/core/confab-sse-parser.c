/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-sse"

#include "config.h"

#include "confab-sse-parser.h"

#include <string.h>

/* WHATWG: one UTF-8 byte order mark may open the stream and is skipped. */
static const guint8 bom[] = { 0xEF, 0xBB, 0xBF };
#define BOM_DONE G_N_ELEMENTS (bom)

struct ConfabSseParser
{
  /* Borrowed */
  ConfabSseEventFunc  func;
  gpointer            user_data;

  /* Settings, kept by reset */
  size_t              max_line;

  /* Owned: the buffers of the WHATWG algorithm, reused between events */
  GString            *line;      /* the start of a line that an earlier feed ended in */
  GString            *data;      /* every data line so far, each followed by "\n" */
  GString            *type;      /* the event type buffer */
  GString            *last_id;   /* the last event id buffer; persists across events */
  GError             *error;     /* set once the stream failed; feed repeats it */

  /* Stream state */
  gint64              retry;
  guint               bom_pos;   /* BOM bytes matched at the start, or BOM_DONE */
  guint               after_cr : 1; /* the last feed ended in CR: skip a leading LF */
  guint               dispatching : 1;
};

G_DEFINE_QUARK (confab-sse-error-quark, confab_sse_error)

/**
 * confab_sse_parser_new:
 * @func: (scope notified): called for each dispatched event
 * @user_data: (closure): data for @func
 *
 * Creates a push parser for a `text/event-stream` body. Feed it the bytes
 * as they arrive with confab_sse_parser_feed().
 *
 * Returns: (transfer full): a new parser; free it with confab_sse_parser_free()
 */
ConfabSseParser *
confab_sse_parser_new (ConfabSseEventFunc func,
                       gpointer           user_data)
{
  ConfabSseParser *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_new0 (ConfabSseParser, 1);
  self->func = func;
  self->user_data = user_data;
  self->max_line = CONFAB_SSE_DEFAULT_MAX_LINE;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  self->type = g_string_new (NULL);
  self->last_id = g_string_new (NULL);
  self->retry = -1;

  return self;
}

/**
 * confab_sse_parser_free:
 * @self: (nullable) (transfer full): a parser
 *
 * Frees @self. It must not be called from the event callback.
 */
void
confab_sse_parser_free (ConfabSseParser *self)
{
  if (self == NULL)
    return;

  g_return_if_fail (!self->dispatching);

  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_string_free (self->type, TRUE);
  g_string_free (self->last_id, TRUE);
  g_clear_error (&self->error);
  g_free (self);
}

/**
 * confab_sse_parser_set_max_line:
 * @self: a parser
 * @max_line: the longest line accepted, in bytes, terminator excluded
 *
 * Sets the bound on one line. The data of one event is held to the same
 * bound. The default is %CONFAB_SSE_DEFAULT_MAX_LINE.
 */
void
confab_sse_parser_set_max_line (ConfabSseParser *self,
                                size_t           max_line)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->dispatching);
  g_return_if_fail (max_line < G_MAXSSIZE / 2);

  self->max_line = max_line;
}

/**
 * confab_sse_parser_get_retry:
 * @self: a parser
 *
 * Gets the reconnection time the server asked for with a `retry` field.
 *
 * Returns: the time in milliseconds, or -1 if the stream never set it
 */
gint64
confab_sse_parser_get_retry (ConfabSseParser *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->retry;
}

/**
 * confab_sse_parser_reset:
 * @self: a parser
 *
 * Returns @self to the start of a stream: a BOM is skipped again, the
 * buffers and the last event id are emptied, the retry time is unset and a
 * failure is forgotten. The callback and the line bound are kept.
 */
void
confab_sse_parser_reset (ConfabSseParser *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (!self->dispatching);

  g_string_truncate (self->line, 0);
  g_string_truncate (self->data, 0);
  g_string_truncate (self->type, 0);
  g_string_truncate (self->last_id, 0);
  g_clear_error (&self->error);
  self->retry = -1;
  self->bom_pos = 0;
  self->after_cr = FALSE;
}

static gboolean
report_failure (ConfabSseParser  *self,
                GError          **error)
{
  g_assert (self->error != NULL);

  g_debug ("Stream failed: %s", self->error->message);
  g_propagate_error (error, g_error_copy (self->error));
  return FALSE;
}

static gboolean
fail_line_too_long (ConfabSseParser  *self,
                    GError          **error)
{
  g_set_error (&self->error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG,
               "The server sent a line longer than %zu bytes.", self->max_line);
  return report_failure (self, error);
}

static void
dispatch (ConfabSseParser *self)
{
  ConfabSseEvent event;

  /* WHATWG: with an empty data buffer nothing is dispatched, but the type
   * buffer is still reset. */
  if (self->data->len == 0)
    {
      g_string_truncate (self->type, 0);
      return;
    }

  /* Every data line appended a "\n"; WHATWG removes the last one. */
  g_string_truncate (self->data, self->data->len - 1);

  event.type = self->type->len > 0 ? self->type->str : "message";
  event.data = self->data->str;
  event.data_len = self->data->len;
  event.id = self->last_id->str;

  self->dispatching = TRUE;
  self->func (&event, self->user_data);
  self->dispatching = FALSE;

  g_string_truncate (self->data, 0);
  g_string_truncate (self->type, 0);
}

static void
set_retry (ConfabSseParser *self,
           const char      *value,
           size_t           len)
{
  gint64 retry = 0;

  /* WHATWG: only a value made of ASCII digits counts. An empty value has
   * no digits, and browsers ignore it too. */
  if (len == 0)
    return;

  for (size_t i = 0; i < len; i++)
    {
      int digit;

      if (value[i] < '0' || value[i] > '9')
        return;

      /* A value too large for 64 bits still means "wait very long". */
      digit = value[i] - '0';
      if (retry > (G_MAXINT64 - digit) / 10)
        retry = G_MAXINT64;
      else
        retry = retry * 10 + digit;
    }

  self->retry = retry;
}

static gboolean
process_field (ConfabSseParser  *self,
               const char       *name,
               size_t            name_len,
               const char       *value,
               size_t            value_len,
               GError          **error)
{
  if (name_len == 4 && memcmp (name, "data", 4) == 0)
    {
      /* The joined data, whose last "\n" goes at dispatch, is held to the
       * line bound too: many short lines must not grow one event forever. */
      if (self->data->len + value_len > self->max_line)
        {
          g_set_error (&self->error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG,
                       "The server sent an event larger than %zu bytes.", self->max_line);
          return report_failure (self, error);
        }

      g_string_append_len (self->data, value, value_len);
      g_string_append_c (self->data, '\n');
    }
  else if (name_len == 5 && memcmp (name, "event", 5) == 0)
    {
      g_string_truncate (self->type, 0);
      g_string_append_len (self->type, value, value_len);
    }
  else if (name_len == 2 && memcmp (name, "id", 2) == 0)
    {
      /* WHATWG: an id containing NUL is ignored. An empty one clears it. */
      if (memchr (value, '\0', value_len) == NULL)
        {
          g_string_truncate (self->last_id, 0);
          g_string_append_len (self->last_id, value, value_len);
        }
    }
  else if (name_len == 5 && memcmp (name, "retry", 5) == 0)
    {
      set_retry (self, value, value_len);
    }

  /* Any other field is ignored. */
  return TRUE;
}

static gboolean
process_line (ConfabSseParser  *self,
              const char       *line,
              size_t            len,
              GError          **error)
{
  const char *colon;
  const char *value;
  size_t name_len;
  size_t value_len;

  if (len == 0)
    {
      dispatch (self);
      return TRUE;
    }

  /* A line starting with a colon is a comment, such as a keep-alive. */
  if (line[0] == ':')
    return TRUE;

  colon = memchr (line, ':', len);
  if (colon == NULL)
    {
      /* WHATWG: the whole line is the name, and the value is empty. */
      name_len = len;
      value = line + len;
      value_len = 0;
    }
  else
    {
      name_len = (size_t) (colon - line);
      value = colon + 1;
      value_len = len - name_len - 1;

      /* Only one space after the colon is removed. */
      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
    }

  return process_field (self, line, name_len, value, value_len, error);
}

static size_t
find_byte (const char *buf,
           size_t      from,
           size_t      len,
           char        byte)
{
  const char *hit;

  g_assert (from <= len);

  hit = memchr (buf + from, byte, len - from);
  return hit != NULL ? (size_t) (hit - buf) : len;
}

/**
 * confab_sse_parser_feed:
 * @self: a parser
 * @data: (array length=len) (nullable): the next bytes of the stream
 * @len: the length of @data
 * @error: return location for a #GError
 *
 * Parses the next @len bytes of the stream and calls the event callback for
 * each event they complete, in order. The read boundaries do not matter: the
 * same bytes give the same events however they are split. An event that the
 * stream leaves unterminated is never dispatched.
 *
 * The callback must not call the parser. Once this fails, every further call
 * fails the same way until confab_sse_parser_reset().
 *
 * Returns: %TRUE, or %FALSE with @error set if a line or an event exceeded
 *   the bound
 */
gboolean
confab_sse_parser_feed (ConfabSseParser  *self,
                        const guint8     *data,
                        size_t            len,
                        GError          **error)
{
  const char *buf = (const char *) data;
  size_t pos = 0;
  size_t cr_pos;
  size_t lf_pos;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (!self->dispatching, FALSE);

  if (self->error != NULL)
    return report_failure (self, error);

  if (len == 0)
    return TRUE;

  /* The BOM may arrive split across feeds, so match it a byte at a time.
   * If it turns out not to be one, the bytes matched so far are data. */
  while (self->bom_pos != BOM_DONE && pos < len)
    {
      if ((guint8) buf[pos] == bom[self->bom_pos])
        {
          self->bom_pos++;
          pos++;
        }
      else
        {
          g_string_append_len (self->line, (const char *) bom, self->bom_pos);
          self->bom_pos = BOM_DONE;
        }
    }

  /* A CRLF split across feeds is one line end. */
  if (self->after_cr && pos < len)
    {
      if (buf[pos] == '\n')
        pos++;
      self->after_cr = FALSE;
    }

  /* Both searches remember their hit, so each byte is scanned at most once
   * per search even when one kind of line end is rare. */
  cr_pos = find_byte (buf, pos, len, '\r');
  lf_pos = find_byte (buf, pos, len, '\n');

  while (pos < len)
    {
      size_t eol;
      size_t line_len;
      gboolean ok;

      if (cr_pos < pos)
        cr_pos = find_byte (buf, pos, len, '\r');
      if (lf_pos < pos)
        lf_pos = find_byte (buf, pos, len, '\n');
      eol = MIN (cr_pos, lf_pos);

      if (eol == len)
        {
          /* Keep the unfinished line for the next feed, within the bound,
           * so a server that never ends a line cannot fill the memory. */
          if (self->line->len + (len - pos) > self->max_line)
            return fail_line_too_long (self, error);

          g_string_append_len (self->line, buf + pos, len - pos);
          break;
        }

      line_len = eol - pos;
      if (self->line->len + line_len > self->max_line)
        return fail_line_too_long (self, error);

      if (self->line->len > 0)
        {
          g_string_append_len (self->line, buf + pos, line_len);
          ok = process_line (self, self->line->str, self->line->len, error);
          g_string_truncate (self->line, 0);
        }
      else
        {
          /* The common case: the whole line is in @data, so no copy. */
          ok = process_line (self, buf + pos, line_len, error);
        }

      if (!ok)
        return FALSE;

      /* WHATWG: a lone CR also ends a line, so the line is processed now
       * and a LF that follows, here or at the start of the next feed, is
       * skipped. */
      pos = eol + 1;
      if (buf[eol] == '\r')
        {
          if (pos == len)
            self->after_cr = TRUE;
          else if (buf[pos] == '\n')
            pos++;
        }
    }

  return TRUE;
}
