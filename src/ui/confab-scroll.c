/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-scroll"

#include "config.h"

#include "confab-scroll.h"

/* Scrolling a view so that what the keyboard is on can be seen, by the
 * least that shows it. */

/* Room left between what is brought into sight and the view's edge. */
#define MARGIN 12

/**
 * confab_scroll_to_area:
 * @widget: a widget inside a #GtkScrolledWindow
 * @area: a rectangle in @widget's coordinates
 *
 * Scrolls the nearest scrolled window around @widget vertically by the
 * least that brings @area into sight, or its top when it is taller than
 * the view. An area in sight already stays where it is.
 */
void
confab_scroll_to_area (GtkWidget             *widget,
                       const graphene_rect_t *area)
{
  GtkWidget *scrolled;
  GtkAdjustment *adjustment;
  graphene_point_t top;
  double bottom, page, value;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (area != NULL);

  scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  if (scrolled == NULL ||
      !gtk_widget_compute_point (widget, scrolled, &area->origin, &top))
    return;

  adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  page = gtk_adjustment_get_page_size (adjustment);
  value = gtk_adjustment_get_value (adjustment);
  bottom = top.y + area->size.height;

  if (top.y >= 0 && bottom <= page)
    return;

  if (top.y < 0 || area->size.height + 2 * MARGIN > page)
    gtk_adjustment_set_value (adjustment, value + top.y - MARGIN);
  else
    gtk_adjustment_set_value (adjustment, value + bottom - page + MARGIN);
}

static void
focus_widget_changed_cb (GtkRoot           *root,
                         GParamSpec        *pspec,
                         GtkScrolledWindow *scroller)
{
  GtkWidget *focus = gtk_root_get_focus (root);
  GtkWidget *child = gtk_scrolled_window_get_child (scroller);
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (scroller);
  graphene_rect_t bounds;
  graphene_point_t top;

  if (focus == NULL || child == NULL || !gtk_widget_is_ancestor (focus, child) ||
      !gtk_widget_compute_bounds (focus, focus, &bounds) ||
      !gtk_widget_compute_point (focus, GTK_WIDGET (scroller), &bounds.origin, &top))
    return;

  /* A widget taller than the view, such as the text of a long reply
   * clicked near its end, stays where it is while part of it shows. */
  if (bounds.size.height > gtk_adjustment_get_page_size (adjustment) &&
      top.y < gtk_adjustment_get_page_size (adjustment) && top.y + bounds.size.height > 0)
    return;

  confab_scroll_to_area (focus, &bounds);
}

/**
 * confab_scroll_follow_focus:
 * @scroller: a scrolled window in a window, around a widget that is not
 *   scrollable itself (which GTK puts in a #GtkViewport)
 *
 * Keeps the widget with the focus in sight within @scroller by the least
 * scrolling, in place of the viewport's own: GTK 4.8's viewport shows the
 * top of a focused widget taller than the view, so a click in a long
 * reply's text near its end would jump to its start.
 */
void
confab_scroll_follow_focus (GtkScrolledWindow *scroller)
{
  GtkWidget *viewport;
  GtkRoot *root;

  g_return_if_fail (GTK_IS_SCROLLED_WINDOW (scroller));

  viewport = gtk_scrolled_window_get_child (scroller);
  root = gtk_widget_get_root (GTK_WIDGET (scroller));
  g_return_if_fail (GTK_IS_VIEWPORT (viewport));
  g_return_if_fail (root != NULL);

  gtk_viewport_set_scroll_to_focus (GTK_VIEWPORT (viewport), FALSE);
  g_signal_connect_object (root, "notify::focus-widget", G_CALLBACK (focus_widget_changed_cb),
                           scroller, 0);
}
