/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "confab-markdown.h"

G_BEGIN_DECLS

/* What a widget made here shows: text blocks share a text view. */
typedef enum
{
  CONFAB_MARKDOWN_VIEW_TEXT = 1,
  CONFAB_MARKDOWN_VIEW_CODE,
  CONFAB_MARKDOWN_VIEW_TABLE,
  CONFAB_MARKDOWN_VIEW_RULE,
} ConfabMarkdownViewKind;

ConfabMarkdownViewKind  confab_markdown_view_kind_for_block (const ConfabMarkdownBlock *block);
ConfabMarkdownViewKind  confab_markdown_view_get_kind       (GtkWidget                 *widget);
GtkWidget              *confab_markdown_view_new            (const ConfabMarkdownBlock *block) G_GNUC_WARN_UNUSED_RESULT;
gsize                   confab_markdown_view_append         (GtkWidget                 *widget,
                                                             const ConfabMarkdownBlock *block);
void                    confab_markdown_view_clear          (GtkWidget                 *widget);
gsize                   confab_markdown_view_get_size       (GtkWidget                 *widget);
char                   *confab_markdown_view_dup_text       (GtkWidget                 *widget) G_GNUC_WARN_UNUSED_RESULT;
void                    confab_markdown_view_update_style   (GtkWidget                 *widget);
int                     confab_markdown_view_get_char_count (GtkWidget                 *widget);
gboolean                confab_markdown_view_extend         (GtkWidget                 *widget,
                                                             const ConfabMarkdownBlock *block,
                                                             const ConfabMarkdownBlock *before);
void                    confab_markdown_view_truncate       (GtkWidget                 *widget,
                                                             int                        offset,
                                                             gsize                      size);

G_END_DECLS
