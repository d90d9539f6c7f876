/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void confab_scroll_to_area      (GtkWidget             *widget,
                                 const graphene_rect_t *area);
void confab_scroll_follow_focus (GtkScrolledWindow     *scroller);

G_END_DECLS
