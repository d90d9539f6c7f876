/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_COMPOSER (confab_composer_get_type ())

G_DECLARE_FINAL_TYPE (ConfabComposer, confab_composer, CONFAB, COMPOSER, GtkWidget)

GtkWidget *confab_composer_new           (void) G_GNUC_WARN_UNUSED_RESULT;
char      *confab_composer_dup_text      (ConfabComposer *self) G_GNUC_WARN_UNUSED_RESULT;
void       confab_composer_set_text      (ConfabComposer *self,
                                          const char     *text);
gboolean   confab_composer_get_streaming (ConfabComposer *self);
void       confab_composer_set_streaming (ConfabComposer *self,
                                          gboolean        streaming);
void       confab_composer_grab_focus    (ConfabComposer *self);

G_END_DECLS
