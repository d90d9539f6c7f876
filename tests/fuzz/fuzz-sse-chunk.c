/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "confab-chunk-parser.h"
#include "confab-sse-parser.h"

/* The first bytes of an input are not stream: they choose how it is
 * split and bounded, so that libFuzzer mutates the read boundaries too.
 * Byte 0 seeds the split lengths, byte 1 picks the longest piece and
 * byte 2 the line bound (0 keeps the default). */
#define HEADER_LEN 3

typedef struct
{
  /* NULL in the split run: one parse of each event is enough */
  ConfabChunkParser *chunks;
  GString           *events;
} Run;

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_utf8 (const char *str)
{
  /* The chunk parser promises valid UTF-8 in every string. */
  if (str != NULL && !g_utf8_validate (str, -1, NULL))
    abort ();
}

static void
event_cb (const ConfabSseEvent *event,
          gpointer              user_data)
{
  Run *run = user_data;
  g_auto(ConfabChunk) chunk = { 0, };
  g_autoptr(GError) error = NULL;

  if (strlen (event->data) > event->data_len)
    abort ();

  /* The events are recorded with their exact bytes, NULs included, to
   * compare the split run with the whole one. */
  g_string_append_printf (run->events, "%s|%s|%zu|", event->type, event->id, event->data_len);
  g_string_append_len (run->events, event->data, (gssize) event->data_len);
  g_string_append_c (run->events, '\n');

  if (run->chunks == NULL)
    return;

  if (!confab_chunk_parser_parse (run->chunks, event->type, event->data,
                                  (gssize) event->data_len, &chunk, &error))
    {
      if (!g_error_matches (error, CONFAB_CHUNK_ERROR, CONFAB_CHUNK_ERROR_MALFORMED))
        abort ();
      return;
    }

  check_utf8 (chunk.content);
  check_utf8 (chunk.reasoning);
  check_utf8 (chunk.finish_reason);
  check_utf8 (chunk.model);
  check_utf8 (chunk.error_message);
  check_utf8 (chunk.error_type);
}

static gboolean
feed (ConfabSseParser *parser,
      const guint8    *data,
      size_t           size,
      guint32          seed,
      size_t           max_piece)
{
  size_t pos = 0;

  while (pos < size)
    {
      g_autoptr(GError) error = NULL;
      size_t piece;

      /* xorshift32: cheap, and the same seed gives the same splits. */
      seed ^= seed << 13;
      seed ^= seed >> 17;
      seed ^= seed << 5;
      piece = MIN (seed % max_piece + 1, size - pos);

      if (!confab_sse_parser_feed (parser, data + pos, piece, &error))
        {
          if (!g_error_matches (error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG))
            abort ();
          return FALSE;
        }
      pos += piece;
    }

  return TRUE;
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A critical is a broken contract, and GLib's default only logs it. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(ConfabChunkParser) chunks = NULL;
  g_autoptr(ConfabSseParser) whole = NULL;
  g_autoptr(ConfabSseParser) split = NULL;
  g_autoptr(GString) whole_events = NULL;
  g_autoptr(GString) split_events = NULL;
  g_autoptr(GError) error = NULL;
  Run whole_run;
  Run split_run;
  gboolean whole_ok;
  gboolean split_ok;
  guint32 seed;
  size_t max_piece;
  size_t max_line;

  if (size < HEADER_LEN)
    return 0;

  seed = data[0] | 0x100u;
  max_piece = data[1] % 64 + 1;
  max_line = data[2];
  data += HEADER_LEN;
  size -= HEADER_LEN;

  chunks = confab_chunk_parser_new ();
  whole_events = g_string_new (NULL);
  split_events = g_string_new (NULL);
  whole_run = (Run) { chunks, whole_events };
  split_run = (Run) { NULL, split_events };

  whole = confab_sse_parser_new (event_cb, &whole_run);
  split = confab_sse_parser_new (event_cb, &split_run);
  if (max_line != 0)
    {
      confab_sse_parser_set_max_line (whole, max_line);
      confab_sse_parser_set_max_line (split, max_line);
    }

  whole_ok = confab_sse_parser_feed (whole, data, size, &error);
  if (!whole_ok && !g_error_matches (error, CONFAB_SSE_ERROR, CONFAB_SSE_ERROR_LINE_TOO_LONG))
    abort ();
  split_ok = feed (split, data, size, seed, max_piece);

  /* The read boundaries must not matter: the same events, the same
   * failure and the same reconnection time. */
  if (whole_ok != split_ok ||
      whole_events->len != split_events->len ||
      memcmp (whole_events->str, split_events->str, whole_events->len) != 0 ||
      confab_sse_parser_get_retry (whole) != confab_sse_parser_get_retry (split))
    abort ();

  return 0;
}
