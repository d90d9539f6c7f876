/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-compat"

#include "config.h"

#include "confab-compat.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <stdio.h>

/* What differs between the GTK Confab is built with and the newest: API
 * above the version floor (STYLE.md §10) and work-arounds for the floor's
 * bugs. */

#if GTK_CHECK_VERSION (4, 10, 0)
static void
launch_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_uri_launcher_launch_finish (GTK_URI_LAUNCHER (source), result, &error))
    g_debug ("No link opened: %s", error->message);
  G_GNUC_END_IGNORE_DEPRECATIONS
}
#endif

/* The GUI tests set CONFAB_TEST_URI_LOG to a file: a link clicked there
 * is written to it, not opened. */
static gboolean
log_for_test (const char *uri)
{
  const char *path = g_getenv ("CONFAB_TEST_URI_LOG");
  FILE *file;

  if (path == NULL || *path == '\0')
    return FALSE;

  file = fopen (path, "a");
  if (file != NULL)
    {
      fprintf (file, "%s\n", uri);
      fclose (file);
    }
  return TRUE;
}

/**
 * confab_compat_show_uri:
 * @widget: the widget the user clicked, in a window
 * @uri: what to open, which the caller has checked
 *
 * Opens @uri with the desktop's handler, through the portal when there
 * is one: GtkUriLauncher since GTK 4.10, gtk_show_uri () before.
 */
void
confab_compat_show_uri (GtkWidget  *widget,
                        const char *uri)
{
  GtkRoot *root;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (uri != NULL);

  if (log_for_test (uri))
    return;

  root = gtk_widget_get_root (widget);
#if GTK_CHECK_VERSION (4, 10, 0)
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  {
    g_autoptr(GtkUriLauncher) launcher = gtk_uri_launcher_new (uri);

    gtk_uri_launcher_launch (launcher, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, NULL,
                             launch_cb, NULL);
  }
  G_GNUC_END_IGNORE_DEPRECATIONS
#else
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);
#endif
}

/* The description a widget goes back to once an announcement made on it
 * is over: the one set with this key, or else its tooltip (which GTK
 * makes its description). */
#define BASE_DESCRIPTION_KEY "confab-accessible-description"
#define LEAVE_CONTROLLER_KEY "confab-announcement-leave"

static void
announcement_leave_cb (GtkEventControllerFocus *controller)
{
  GtkWidget *widget = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller));
  const char *base = g_object_get_data (G_OBJECT (widget), BASE_DESCRIPTION_KEY);

  /* A widget that goes away loses the focus too: GTK 4.8 would send the
   * change for an accessible it no longer has on the bus. */
  if (!gtk_widget_get_mapped (widget))
    return;

  if (base == NULL)
    base = gtk_widget_get_tooltip_text (widget);
  if (base != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    base, -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

/* GTK 4.8 has no announcements and no live regions, and sends AT-SPI
 * no event when a widget appears or a label's text changes; measured
 * under Xvfb, the one change it sends for a widget that is not an entry
 * is its description's ("object:property-change:accessible-description"),
 * and Orca speaks a new description of the object with the focus. So the
 * message becomes the description of the focused widget until the focus
 * leaves it, when the widget's own comes back. It is first emptied, so
 * that the same message twice is still a change. Moving the focus instead
 * would take the user away from what they were doing. */
static void
describe_focus (GtkWidget  *widget,
                const char *message)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL)
    return;

  if (g_object_get_data (G_OBJECT (focus), LEAVE_CONTROLLER_KEY) == NULL)
    {
      GtkEventController *controller = gtk_event_controller_focus_new ();

      g_signal_connect (controller, "leave", G_CALLBACK (announcement_leave_cb), NULL);
      gtk_widget_add_controller (focus, controller);
      g_object_set_data (G_OBJECT (focus), LEAVE_CONTROLLER_KEY, controller);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (focus), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  "", -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (focus), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  message, -1);
}

/**
 * confab_compat_announce:
 * @widget: a widget in the window the message is about
 * @message: what a screen reader should say
 *
 * Asks the screen reader to say @message: with gtk_accessible_announce ()
 * where GTK has it (4.14), else as the description of the widget with the
 * focus until the focus leaves it.
 */
void
confab_compat_announce (GtkWidget  *widget,
                        const char *message)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (message != NULL);

#if GTK_CHECK_VERSION (4, 14, 0)
  /* Built with 4.14 or later, but maybe run with an older GTK. */
  if (gtk_check_version (4, 14, 0) == NULL)
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      gtk_accessible_announce (GTK_ACCESSIBLE (widget), message,
                               GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
      G_GNUC_END_IGNORE_DEPRECATIONS
      return;
    }
#endif

  describe_focus (widget, message);
}

/**
 * confab_compat_set_description:
 * @widget: a widget
 * @description: its accessible description
 *
 * Sets the accessible description of @widget, and keeps it for
 * confab_compat_announce () to put back after an announcement.
 */
void
confab_compat_set_description (GtkWidget  *widget,
                               const char *description)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (description != NULL);

  g_object_set_data_full (G_OBJECT (widget), BASE_DESCRIPTION_KEY, g_strdup (description),
                          g_free);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  description, -1);
}

/* Calls @func on @root and on each widget inside it. */
static void
for_each_widget (GtkWidget *root,
                 void     (*func) (GtkWidget *widget))
{
  func (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    for_each_widget (child, func);
}

static void
fix_mnemonic_name (GtkLabel *label)
{
  GtkWidget *target = gtk_label_get_mnemonic_widget (label);

  if (target == NULL || !gtk_label_get_use_underline (label))
    return;

  /* GTK 4.8 names the widget a label with a mnemonic is for after the
   * label twice, the underscore kept in one ("_Test Test"), from the
   * label's relation. The widget is named once, with the text the label
   * shows. */
  gtk_accessible_reset_relation (GTK_ACCESSIBLE (target), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
  gtk_accessible_update_property (GTK_ACCESSIBLE (target), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  gtk_label_get_text (label), -1);
}

static void
fix_icon_button_name (GtkButton *button)
{
  GtkWidget *child = gtk_button_get_child (button);
  const char *tooltip = gtk_widget_get_tooltip_text (GTK_WIDGET (button));

  if (!GTK_IS_IMAGE (child) || tooltip == NULL)
    return;

  /* GTK 4.8 names a button that shows only an icon, and has no
   * accessible label, after the image's type: "GtkImage". libadwaita
   * 1.2's own (the entry row's Apply, the password row's peek) are
   * named by their tooltip. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
}

static void
fix_name (GtkWidget *widget)
{
  if (GTK_IS_LABEL (widget))
    fix_mnemonic_name (GTK_LABEL (widget));
  else if (GTK_IS_BUTTON (widget))
    fix_icon_button_name (GTK_BUTTON (widget));
}

/**
 * confab_compat_fix_accessible_names:
 * @root: a widget made of widgets GTK 4.8 misnames
 *
 * Gives the widgets in @root that GTK 4.8 names wrongly the accessible
 * name a screen reader should read: each widget named by a label with a
 * mnemonic (a button with "_Test", an entry after "_Model"), and each
 * button of libadwaita's with only an icon and a tooltip. Call it once
 * the labels are set; it replaces an accessible label of such widgets
 * set before. Confab's own icon buttons have a label already.
 */
void
confab_compat_fix_accessible_names (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  for_each_widget (root, fix_name);
}

/* GTK 4.8 names each element without a label after its type, and Orca
 * reads those names out as the focus enters them: "GtkStackPage panel",
 * "GtkImage", "GtkPopoverMenu menu". The elements that are GTK's and
 * libadwaita's own get the name a person would give them, or none. */

static void
name_accessible (GtkAccessible *accessible,
                 const char    *name)
{
  gtk_accessible_update_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  name != NULL ? name : "", -1);
}

static void
name_stack_pages (GtkStack *stack)
{
  GListModel *pages = G_LIST_MODEL (gtk_stack_get_pages (stack));
  guint n = g_list_model_get_n_items (pages);

  for (guint i = 0; i < n; i++)
    {
      GtkStackPage *page = g_list_model_get_item (pages, i);

      name_accessible (GTK_ACCESSIBLE (page), gtk_stack_page_get_title (page));
      g_object_unref (page);
    }
  g_object_unref (pages);
}

static void
name_internal (GtkWidget *widget)
{
  GtkWidget *parent = gtk_widget_get_parent (widget);
  GtkWidget *row;

  if (GTK_IS_STACK (widget))
    name_stack_pages (GTK_STACK (widget));
  /* The icon of a button, which the button's own name covers, is hidden
   * from screen readers: an empty name would end the button's name with
   * a space. Confab's other images are named or presentational where
   * they are made. */
  else if (GTK_IS_IMAGE (widget) && gtk_widget_get_ancestor (widget, GTK_TYPE_BUTTON) != NULL)
    gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE,
                                 -1);
  /* A menu is named after the button that opens it. */
  else if (GTK_IS_POPOVER_MENU (widget))
    name_accessible (GTK_ACCESSIBLE (widget),
                     parent != NULL ? gtk_widget_get_tooltip_text (parent) : NULL);
  else if (GTK_IS_SCROLLBAR (widget) || ADW_IS_VIEW_SWITCHER (widget))
    name_accessible (GTK_ACCESSIBLE (widget), NULL);
  /* The search of libadwaita's preferences window, and its results
   * (Confab's own lists are in groups or popovers, and named). */
  else if (GTK_IS_SEARCH_ENTRY (widget) &&
           ADW_IS_PREFERENCES_WINDOW (gtk_widget_get_root (widget)))
    name_accessible (GTK_ACCESSIBLE (widget), _("Search preferences"));
  else if (GTK_IS_LIST_BOX (widget) &&
           ADW_IS_PREFERENCES_WINDOW (gtk_widget_get_root (widget)) &&
           gtk_widget_get_ancestor (widget, ADW_TYPE_PREFERENCES_GROUP) == NULL &&
           gtk_widget_get_ancestor (widget, GTK_TYPE_POPOVER) == NULL)
    name_accessible (GTK_ACCESSIBLE (widget), NULL);
  /* The list a combo row drops down is named after the row. */
  else if (GTK_IS_LIST_VIEW (widget) &&
           (row = gtk_widget_get_ancestor (widget, ADW_TYPE_COMBO_ROW)) != NULL)
    name_accessible (GTK_ACCESSIBLE (widget),
                     adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
}

/* A window names every element it holds as it maps, shown or not (a
 * screen reader lists them all); a widget mapped later, itself. */
static gboolean
name_internals_cb (GSignalInvocationHint *hint,
                   guint                  n_values,
                   const GValue          *values,
                   gpointer               user_data)
{
  GtkWidget *widget = g_value_get_object (&values[0]);

  if (GTK_IS_WINDOW (widget))
    for_each_widget (widget, name_internal);
  else
    name_internal (widget);

  return TRUE;
}

/**
 * confab_compat_name_internals:
 *
 * From now on, gives the elements of GTK's and libadwaita's own widgets
 * that GTK 4.8 would name after their type the name a screen reader
 * should say, or none, as each is mapped. Call it once, at start-up.
 */
void
confab_compat_name_internals (void)
{
  static gboolean done;

  if (done)
    return;
  done = TRUE;

  /* The class makes its signals: before the first widget, it may not be. */
  g_type_class_ref (GTK_TYPE_WIDGET);
  g_signal_add_emission_hook (g_signal_lookup ("map", GTK_TYPE_WIDGET), 0, name_internals_cb,
                              NULL, NULL);
}
