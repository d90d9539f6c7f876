/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The Markdown renderer's input side: a reply's text parsed whole, and
 * the same text streamed in at steps the first input byte chooses. Every
 * block must be valid UTF-8 with its spans inside it and its indents
 * capped, what is finished must only grow, and the streamed blocks must
 * be those of the text fed in one piece. */

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "confab-markdown.h"

int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A critical is a broken contract, and GLib's default only logs it. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

static void
check_block (const ConfabMarkdownBlock *block)
{
  if (block->text == NULL || !g_utf8_validate (block->text->str, block->text->len, NULL))
    abort ();
  if (block->quote_depth > CONFAB_MARKDOWN_MAX_DEPTH ||
      block->list_depth > CONFAB_MARKDOWN_MAX_DEPTH)
    abort ();
  if (block->kind == CONFAB_MARKDOWN_BLOCK_HEADING && (block->level < 1 || block->level > 6))
    abort ();
  for (guint i = 0; block->spans != NULL && i < block->spans->len; i++)
    {
      const ConfabMarkdownSpan *span = &g_array_index (block->spans, ConfabMarkdownSpan, i);

      if (span->start > span->end || span->end > block->text->len)
        abort ();
      /* Only web links open. */
      if (span->openable && (span->url == NULL ||
                             (g_ascii_strncasecmp (span->url, "http://", 7) != 0 &&
                              g_ascii_strncasecmp (span->url, "https://", 8) != 0)))
        abort ();
    }
}

/* Each block checked, its plain text appended to @out. */
static void
take_blocks (GPtrArray *blocks,
             GString   *out)
{
  for (guint i = 0; i < blocks->len; i++)
    {
      const ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);
      g_autofree char *plain = NULL;

      check_block (block);
      plain = confab_markdown_block_dup_plain_text (block);
      g_string_append_printf (out, "%u:%u:", block->kind, block->continues);
      g_string_append (out, plain);
      g_string_append_c (out, '\x1e');
    }
  g_ptr_array_unref (blocks);
}

/* Streams @text in steps of @step bytes, kept on character boundaries,
 * and returns what it showed: the finished blocks and the tail's. */
static char *
stream (const char *text,
        gsize       len,
        gsize       step)
{
  g_autoptr(ConfabMarkdownStream) md = confab_markdown_stream_new ();
  GString *out = g_string_new (NULL);
  gsize finished = 0;
  gsize fed = 0;

  while (fed < len)
    {
      fed = MIN (fed + step, len);
      while (fed < len && (text[fed] & 0xc0) == 0x80)
        fed++;
      take_blocks (confab_markdown_stream_update (md, text, fed), out);
      if (confab_markdown_stream_get_finished (md) < finished ||
          confab_markdown_stream_get_finished (md) > fed)
        abort ();
      finished = confab_markdown_stream_get_finished (md);
      /* The tail is shown every frame; only the last one counts. */
      if (fed < len)
        {
          g_autoptr(GString) scratch = g_string_new (NULL);

          take_blocks (confab_markdown_stream_parse_tail (md, text, fed), scratch);
        }
    }
  take_blocks (confab_markdown_stream_parse_tail (md, text, len), out);

  return g_string_free (out, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *stepped = NULL;
  g_autofree char *plain = NULL;
  g_autoptr(GString) parsed = g_string_new (NULL);
  gsize step;
  gsize len;

  if (size == 0)
    return 0;

  /* A reply's text is valid UTF-8 by the time it is shown. */
  step = 1 + data[0] % 97;
  text = g_utf8_make_valid ((const char *)data + 1, size - 1);
  len = strlen (text);

  take_blocks (confab_markdown_parse (text, len), parsed);
  plain = confab_markdown_to_plain_text (text, len);
  if (!g_utf8_validate (plain, -1, NULL))
    abort ();

  whole = stream (text, len, len > 0 ? len : 1);
  stepped = stream (text, len, step);
  if (strcmp (whole, stepped) != 0)
    abort ();

  return 0;
}
