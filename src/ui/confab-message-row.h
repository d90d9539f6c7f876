/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "confab-message.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_ROW (confab_message_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMessageRow, confab_message_row, CONFAB, MESSAGE_ROW, GtkWidget)

GtkWidget     *confab_message_row_new           (ConfabMessage    *message) G_GNUC_WARN_UNUSED_RESULT;
ConfabMessage *confab_message_row_get_message   (ConfabMessageRow *self);
char          *confab_message_row_dup_text      (ConfabMessageRow *self) G_GNUC_WARN_UNUSED_RESULT;
guint          confab_message_row_get_n_blocks  (ConfabMessageRow *self);
GtkTextView   *confab_message_row_get_block     (ConfabMessageRow *self,
                                                 guint             index);
char          *confab_message_row_dup_shown_text (ConfabMessageRow *self) G_GNUC_WARN_UNUSED_RESULT;
void           confab_message_row_copy          (ConfabMessageRow *self);
void           confab_message_row_set_last      (ConfabMessageRow *self,
                                                 gboolean          last);
void           confab_message_row_set_render_markdown (ConfabMessageRow *self,
                                                       gboolean          render_markdown);
gboolean       confab_message_row_get_render_markdown (ConfabMessageRow *self);

G_END_DECLS
