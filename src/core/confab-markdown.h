/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Indents deeper than this are shown at this depth: a hostile reply
 * nested 5,000 deep must not push its text off the window. */
#define CONFAB_MARKDOWN_MAX_DEPTH 8

typedef enum
{
  CONFAB_MARKDOWN_BLOCK_PARAGRAPH,
  CONFAB_MARKDOWN_BLOCK_HEADING,
  CONFAB_MARKDOWN_BLOCK_LIST_ITEM,
  CONFAB_MARKDOWN_BLOCK_CODE,
  CONFAB_MARKDOWN_BLOCK_TABLE,
  CONFAB_MARKDOWN_BLOCK_RULE,
} ConfabMarkdownBlockKind;

/* How a block goes on from the one before it, when the source was cut
 * inside a block to keep the part re-read while streaming bounded. */
typedef enum
{
  CONFAB_MARKDOWN_CONTINUES_NOT,
  /* on the next line of the same block */
  CONFAB_MARKDOWN_CONTINUES_LINE,
  /* on the same line */
  CONFAB_MARKDOWN_CONTINUES_INLINE,
} ConfabMarkdownContinues;

typedef enum
{
  CONFAB_MARKDOWN_STYLE_BOLD          = 1 << 0,
  CONFAB_MARKDOWN_STYLE_ITALIC        = 1 << 1,
  CONFAB_MARKDOWN_STYLE_STRIKETHROUGH = 1 << 2,
  CONFAB_MARKDOWN_STYLE_CODE          = 1 << 3,
  CONFAB_MARKDOWN_STYLE_LINK          = 1 << 4,
} ConfabMarkdownStyle;

typedef struct
{
  /* bytes into the block's text */
  gsize                start;
  gsize                end;
  ConfabMarkdownStyle  style;
  /* a link's target as written, or %NULL */
  char                *url;
  /* whether the link may be opened: http and https only */
  gboolean             openable;
} ConfabMarkdownSpan;

typedef struct
{
  ConfabMarkdownBlockKind  kind;
  ConfabMarkdownContinues  continues;
  /* a heading's level, 1–6 */
  guint                    level;
  /* capped at CONFAB_MARKDOWN_MAX_DEPTH */
  guint                    quote_depth;
  guint                    list_depth;
  /* a list item's number, or 0 for a bullet */
  guint                    number;
  /* a code block's language, "" if none */
  char                    *language;
  /* the text shown, valid UTF-8, without markup */
  GString                 *text;
  /* of ConfabMarkdownSpan, in the order they end */
  GArray                  *spans;
  /* a table: its cells, row by row, and how many rows are the header */
  guint                    n_columns;
  guint                    n_header_rows;
  GPtrArray               *cells;
} ConfabMarkdownBlock;

void       confab_markdown_block_free  (ConfabMarkdownBlock *block);
GPtrArray *confab_markdown_parse       (const char          *text,
                                        gsize                len) G_GNUC_WARN_UNUSED_RESULT;
char      *confab_markdown_block_dup_plain_text (const ConfabMarkdownBlock *block) G_GNUC_WARN_UNUSED_RESULT;
char      *confab_markdown_block_dup_marker     (const ConfabMarkdownBlock *block) G_GNUC_WARN_UNUSED_RESULT;
gboolean   confab_markdown_block_extends        (const ConfabMarkdownBlock *block,
                                                 const ConfabMarkdownBlock *before);

typedef struct _ConfabMarkdownStream ConfabMarkdownStream;

ConfabMarkdownStream *confab_markdown_stream_new        (void) G_GNUC_WARN_UNUSED_RESULT;
void                  confab_markdown_stream_free       (ConfabMarkdownStream *self);
GPtrArray            *confab_markdown_stream_update     (ConfabMarkdownStream *self,
                                                         const char           *text,
                                                         gsize                 len) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray            *confab_markdown_stream_parse_tail (ConfabMarkdownStream *self,
                                                         const char           *text,
                                                         gsize                 len) G_GNUC_WARN_UNUSED_RESULT;
gsize                 confab_markdown_stream_get_finished (ConfabMarkdownStream *self);

char *confab_markdown_to_plain_text (const char *text,
                                     gsize       len) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMarkdownBlock, confab_markdown_block_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMarkdownStream, confab_markdown_stream_free)

G_END_DECLS
