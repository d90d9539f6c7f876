/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

#include "confab-client.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TRANSLATE_VIEW (confab_translate_view_get_type ())

G_DECLARE_FINAL_TYPE (ConfabTranslateView, confab_translate_view, CONFAB, TRANSLATE_VIEW, GtkWidget)

void     confab_translate_view_set_client      (ConfabTranslateView *self,
                                                ConfabClient        *client);
void     confab_translate_view_set_model       (ConfabTranslateView *self,
                                                const char          *model);
void     confab_translate_view_set_store       (ConfabTranslateView *self,
                                                ConfabStore         *store);
void     confab_translate_view_set_settings    (ConfabTranslateView *self,
                                                GSettings           *settings);
void     confab_translate_view_set_source      (ConfabTranslateView *self,
                                                const char          *text);
void     confab_translate_view_set_languages   (ConfabTranslateView *self,
                                                const char          *from,
                                                const char          *to);
void     confab_translate_view_translate       (ConfabTranslateView *self);
void     confab_translate_view_paste_and_translate (ConfabTranslateView *self);
void     confab_translate_view_copy            (ConfabTranslateView *self);
void     confab_translate_view_swap            (ConfabTranslateView *self);
void     confab_translate_view_clear           (ConfabTranslateView *self);
gboolean confab_translate_view_stop            (ConfabTranslateView *self);
void     confab_translate_view_focus_source    (ConfabTranslateView *self);

G_END_DECLS
