/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SIDEBAR (confab_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (ConfabSidebar, confab_sidebar, CONFAB, SIDEBAR, GtkWidget)

GtkWidget  *confab_sidebar_new               (void) G_GNUC_WARN_UNUSED_RESULT;
void        confab_sidebar_set_store         (ConfabSidebar *self,
                                              ConfabStore   *store);
void        confab_sidebar_reload            (ConfabSidebar *self);
void        confab_sidebar_set_current       (ConfabSidebar *self,
                                              gint64         conversation_id);
void        confab_sidebar_start_search      (ConfabSidebar *self);
GListModel *confab_sidebar_get_items         (ConfabSidebar *self);
void        confab_sidebar_rename            (ConfabSidebar *self,
                                              gint64         conversation_id);
void        confab_sidebar_delete            (ConfabSidebar *self,
                                              gint64         conversation_id);
void        confab_sidebar_undo_delete       (ConfabSidebar *self,
                                              gint64         conversation_id);
void        confab_sidebar_set_pinned        (ConfabSidebar *self,
                                              gint64         conversation_id,
                                              gboolean       pinned);
void        confab_sidebar_set_show_start_buttons (ConfabSidebar *self,
                                                   gboolean       show);

G_END_DECLS
