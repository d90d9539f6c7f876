/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-message-row.h"
#include "confab-preferences.h"
#include "confab-profiles.h"
#include "confab-secrets.h"

/* Every .ui file, built the way the app builds it.
 *
 * gtk4-builder-tool cannot do this for our files: it knows neither the
 * libadwaita types nor ours, and in GTK 4.8 it gives up on a template
 * whose parent is an Adw type and crashes on one with a mistake. Here the
 * types are real: a template is parsed by making an instance of its class
 * (gtk_widget_init_template ()), which fails on an unknown type, property,
 * signal or handler, or a bad value, with a critical that
 * G_DEBUG=fatal-warnings turns into a failure. A file without a template
 * goes through GtkBuilder, whose error is reported. The .ui files in
 * the source folder are given on the command line, so that one left out
 * of the resources fails too. */

#define UI_PREFIX "/io/github/confab/Confab/"

static GSettings *settings;
static ConfabProfiles *profiles;

/* "ConfabModelPicker" -> "confab_model_picker_get_type" */
static char *
get_type_function (const char *class_name)
{
  GString *name = g_string_new (NULL);

  for (const char *p = class_name; *p != '\0'; p++)
    {
      if (g_ascii_isupper (*p) && p != class_name)
        g_string_append_c (name, '_');
      g_string_append_c (name, g_ascii_tolower (*p));
    }
  g_string_append (name, "_get_type");

  return g_string_free (name, FALSE);
}

/* The class a template defines, or NULL for a plain builder file. */
static char *
dup_template_class (const char *xml)
{
  const char *start = strstr (xml, "<template class=\"");
  const char *end;

  if (start == NULL)
    return NULL;
  start += strlen ("<template class=\"");
  end = strchr (start, '"');
  g_assert_nonnull (end);

  return g_strndup (start, end - start);
}

static GType
lookup_type (const char *class_name)
{
  g_autofree char *function = get_type_function (class_name);
  GModule *self_module = g_module_open (NULL, 0);
  GType (*get_type) (void) = NULL;
  gboolean found;

  /* No autoptr: GModule has one from GLib 2.76. */
  g_assert_nonnull (self_module);
  found = g_module_symbol (self_module, function, (gpointer *)&get_type);
  g_module_close (self_module);
  if (!found)
    g_error ("No %s () for the template class %s", function, class_name);

  return get_type ();
}

static void
build_template (GType type)
{
  GObject *object;

  /* The types that cannot be made without an argument. */
  g_test_message ("making a %s", g_type_name (type));
  if (g_type_is_a (type, CONFAB_TYPE_PREFERENCES))
    {
      object = g_object_new (type, "profiles", profiles, NULL);
    }
  else if (g_type_is_a (type, CONFAB_TYPE_MESSAGE_ROW))
    {
      g_autoptr(ConfabMessage) message = confab_message_new (CONFAB_MESSAGE_ROLE_ASSISTANT,
                                                             "Hello");

      object = G_OBJECT (confab_message_row_new (message));
    }
  else
    object = g_object_new (type, NULL);

  g_assert_true (GTK_IS_WIDGET (object));
  if (GTK_IS_WINDOW (object))
    gtk_window_destroy (GTK_WINDOW (object));
  else
    g_object_unref (g_object_ref_sink (object));
}

static void
test_ui_file (gconstpointer data)
{
  const char *path = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *class_name = NULL;
  const char *xml;

  bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  xml = g_bytes_get_data (bytes, NULL);

  class_name = dup_template_class (xml);
  if (class_name != NULL)
    {
      build_template (lookup_type (class_name));
    }
  else
    {
      g_autoptr(GtkBuilder) builder = gtk_builder_new ();

      gtk_builder_add_from_resource (builder, path, &error);
      g_assert_no_error (error);
    }
}

/* The resource path of a .ui file of src/ui/. */
static char *
resource_path (const char *file)
{
  g_autofree char *base = g_path_get_basename (file);

  return g_strconcat (UI_PREFIX "ui/", base, NULL);
}

/* GtkApplication builds a resource at gtk/help-overlay.ui for each window
 * and keeps it hidden among the toplevels. GTK 4.8 answers an
 * accessibility client that asks for a toplevel past the visible ones
 * with the last window of that list, and for a hidden one with no object
 * path, which crashes it. The window builds its shortcuts window when
 * asked and destroys it when it closes. */
static void
test_no_automatic_help_overlay (void)
{
  g_assert_false (g_resources_get_info (UI_PREFIX "gtk/help-overlay.ui",
                                        G_RESOURCE_LOOKUP_FLAGS_NONE, NULL, NULL, NULL));
  g_assert_true (g_resources_get_info (UI_PREFIX "ui/confab-shortcuts.ui",
                                       G_RESOURCE_LOOKUP_FLAGS_NONE, NULL, NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(ConfabSecrets) secrets = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_assert_cmpint (argc, >, 1);

  settings = g_settings_new (APP_ID);
  secrets = confab_secrets_new ();
  profiles = confab_profiles_new (settings, secrets);

  for (int i = 1; i < argc; i++)
    {
      g_autofree char *base = g_path_get_basename (argv[i]);
      g_autofree char *test_path = g_strconcat ("/confab/ui-files/", base, NULL);

      g_test_add_data_func_full (test_path, resource_path (argv[i]), test_ui_file, g_free);
    }

  g_test_add_func ("/confab/ui-files/no-automatic-help-overlay", test_no_automatic_help_overlay);

  status = g_test_run ();

  g_clear_object (&profiles);
  g_clear_object (&settings);

  return status;
}
