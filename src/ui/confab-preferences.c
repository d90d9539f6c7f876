/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-preferences"

#include "config.h"

#include "confab-preferences.h"

#include <glib/gi18n.h>

#include "confab-application.h"
#include "confab-client.h"
#include "confab-compat.h"

struct _ConfabPreferences
{
  AdwPreferencesWindow parent_instance;

  /* template children */
  AdwComboRow *active_row;
  GtkListBox  *profile_list;
  GtkListBox  *preset_list;
  GtkPopover  *add_popover;
  GtkWidget   *replies_group;
  GtkWidget   *markdown_switch;

  /* owned */
  ConfabProfiles *profiles;
  GCancellable   *cancellable;

  /* borrowed: the provider's page shown, if any */
  GtkWidget *subpage;

  /* plain state */
  gboolean syncing_active;
};

G_DEFINE_FINAL_TYPE (ConfabPreferences, confab_preferences, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_PROFILES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What one profile's subpage keeps, on its widget. */
typedef struct
{
  ConfabPreferences *self;    /* borrowed */
  ConfabProfile     *profile;
  GtkWidget         *connection; /* borrowed */
  GtkWidget         *key_row; /* borrowed */
  AdwActionRow      *test_row;
  GtkWidget         *test_button;
  GCancellable      *cancellable;
} ProfilePage;

static void
profile_page_free (ProfilePage *page)
{
  g_cancellable_cancel (page->cancellable);
  g_clear_object (&page->cancellable);
  g_clear_object (&page->profile);
  g_free (page);
}

static void
toast (ConfabPreferences *self,
       const char        *text)
{
  AdwToast *toast = adw_toast_new (text);

  adw_toast_set_timeout (toast, 6);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
}

/* The list of profiles */

static void
update_row_active (GtkWidget *check)
{
  ConfabPreferences *self = g_object_get_data (G_OBJECT (check), "confab-preferences");
  ConfabProfile *profile = g_object_get_data (G_OBJECT (check), "confab-profile");

  gtk_widget_set_visible (check, confab_profiles_get_active (self->profiles) == profile);
}

static GtkWidget *
create_profile_row (gpointer item,
                    gpointer user_data)
{
  ConfabPreferences *self = user_data;
  ConfabProfile *profile = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_image_new_from_icon_name ("object-select-symbolic");
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  g_object_bind_property (profile, "name", row, "title", G_BINDING_SYNC_CREATE);
  g_object_bind_property (profile, "base-url", row, "subtitle", G_BINDING_SYNC_CREATE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "confab-profile", g_object_ref (profile),
                          g_object_unref);

  /* The one in use has a check mark, named for screen readers. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("In use"), -1);
  g_object_set_data (G_OBJECT (check), "confab-preferences", self);
  g_object_set_data (G_OBJECT (check), "confab-profile", profile);
  g_signal_connect_object (self->profiles, "notify::active", G_CALLBACK (update_row_active),
                           check, G_CONNECT_SWAPPED);
  update_row_active (check);

  adw_action_row_add_suffix (ADW_ACTION_ROW (row), check);
  gtk_accessible_update_property (GTK_ACCESSIBLE (arrow), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Edit"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);

  return row;
}

static void
profile_activated_cb (ConfabPreferences *self,
                      GtkListBoxRow     *row,
                      GtkListBox        *list)
{
  confab_preferences_show_profile (self, g_object_get_data (G_OBJECT (row), "confab-profile"));
}

/* The provider in use */

static void
sync_active_row (ConfabPreferences *self)
{
  ConfabProfile *active = confab_profiles_get_active (self->profiles);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->profiles));

  self->syncing_active = TRUE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(ConfabProfile) profile = g_list_model_get_item (G_LIST_MODEL (self->profiles), i);

      if (profile == active)
        adw_combo_row_set_selected (self->active_row, i);
    }
  self->syncing_active = FALSE;
}

static void
active_selected_cb (ConfabPreferences *self)
{
  ConfabProfile *profile = adw_combo_row_get_selected_item (self->active_row);

  if (self->syncing_active || profile == NULL)
    return;

  confab_profiles_set_active (self->profiles, profile);
}

/* Adding */

static void
fill_presets (ConfabPreferences *self)
{
  guint n_presets;
  const ConfabPreset *presets = confab_presets_get (&n_presets);

  for (guint i = 0; i < n_presets; i++)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *name = gtk_label_new (confab_preset_get_display_name (&presets[i]));
      GtkWidget *row = gtk_list_box_row_new ();

      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_box_append (GTK_BOX (box), name);
      if (presets[i].base_url[0] != '\0')
        {
          GtkWidget *url = gtk_label_new (presets[i].base_url);

          gtk_label_set_xalign (GTK_LABEL (url), 0);
          gtk_widget_add_css_class (url, "dim-label");
          gtk_widget_add_css_class (url, "caption");
          gtk_box_append (GTK_BOX (box), url);
        }
      gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
      gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      confab_preset_get_display_name (&presets[i]), -1);
      g_object_set_data (G_OBJECT (row), "confab-preset", (gpointer)presets[i].id);
      gtk_list_box_append (self->preset_list, row);
    }
}

static void
preset_activated_cb (ConfabPreferences *self,
                     GtkListBoxRow     *row,
                     GtkListBox        *list)
{
  gtk_popover_popdown (self->add_popover);
  confab_preferences_add_profile (self, g_object_get_data (G_OBJECT (row), "confab-preset"));
}

/* One profile's page */

static gboolean
spin_output_cb (GtkSpinButton *spin,
                gpointer       user_data)
{
  gboolean zero_is_default = GPOINTER_TO_INT (user_data);
  double value = gtk_spin_button_get_value (spin);
  g_autofree char *text = NULL;

  /* Temperature: below 0 is the server's default; max tokens: 0 is. */
  if (zero_is_default ? value < 1 : value < 0)
    {
      gtk_editable_set_text (GTK_EDITABLE (spin), _("Default"));
      return TRUE;
    }

  text = g_strdup_printf ("%.*f", gtk_spin_button_get_digits (spin), value);
  gtk_editable_set_text (GTK_EDITABLE (spin), text);
  return TRUE;
}

static int
spin_input_cb (GtkSpinButton *spin,
               double        *new_value,
               gpointer       user_data)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (spin));
  char *end = NULL;
  double value = g_ascii_strtod (text, &end);

  /* "Default", or anything not a number, is the server's default. */
  if (end == text)
    value = GPOINTER_TO_INT (user_data) ? 0 : -1;

  *new_value = value;
  return TRUE;
}

/* The spin button shows the server's default as "Default" one step below
 * 0, at -0.1; the profile writes it -1. */
static gboolean
temperature_to_spin (GBinding     *binding,
                     const GValue *from,
                     GValue       *to,
                     gpointer      user_data)
{
  double value = g_value_get_double (from);

  g_value_set_double (to, value < 0 ? -0.1 : value);
  return TRUE;
}

static gboolean
temperature_from_spin (GBinding     *binding,
                       const GValue *from,
                       GValue       *to,
                       gpointer      user_data)
{
  double value = g_value_get_double (from);

  /* Steps of 0.1 add up to 0.7000000000000001: what is sent is what is
   * shown. */
  g_value_set_double (to, value < 0 ? -1.0 : MIN ((gint64)(value * 100 + 0.5) / 100.0, 2.0));
  return TRUE;
}

static GtkWidget *
spin_row_new (const char *title,
              const char *subtitle,
              double      lower,
              double      upper,
              double      step,
              guint       digits,
              gboolean    zero_is_default)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), FALSE);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_editable_set_width_chars (GTK_EDITABLE (spin), 8);
  g_signal_connect (spin, "output", G_CALLBACK (spin_output_cb),
                    GINT_TO_POINTER (zero_is_default));
  g_signal_connect (spin, "input", G_CALLBACK (spin_input_cb),
                    GINT_TO_POINTER (zero_is_default));
  /* Named by the row, which labels its activatable widget: a label of its
   * own would make GTK 4.8 say the name twice. */
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  g_object_set_data (G_OBJECT (row), "confab-spin", spin);

  return row;
}

static GtkWidget *
entry_row_new (const char    *title,
               ConfabProfile *profile,
               const char    *property)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_object_bind_property (profile, property, row, "text",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);

  return row;
}

/* Says where the key is kept. Without a Secret Service it is kept in
 * memory until Confab quits, which the page says for as long as it is
 * shown: a toast would be gone before the user reads the key field. */
static void
show_where_key_is_kept (ProfilePage *page)
{
  ConfabSecrets *secrets = confab_profiles_get_secrets (page->self->profiles);
  const char *text;

  if (confab_profile_get_is_environment (page->profile))
    text = _("Set by OPENAI_BASE_URL, OPENAI_API_KEY and OPENAI_DEFAULT_MODEL for this run. "
             "Changes here are not kept.");
  else if (confab_secrets_get_keyring_available (secrets))
    text = _("The key is kept in the keyring, never in a file. Local servers need none.");
  else
    text = _("No keyring is available: the key is kept only until Confab quits, never in a "
             "file. Local servers need none.");

  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (page->connection), text);
}

/* The keyring may be found missing by any lookup or store, this page's
 * or the application's. */
static void
keyring_available_cb (GtkWidget *box)
{
  show_where_key_is_kept (g_object_get_data (G_OBJECT (box), "confab-page"));
}

static void
key_looked_up_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  ProfilePage *page = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = confab_secrets_lookup_finish (CONFAB_SECRETS (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (key != NULL)
    gtk_editable_set_text (GTK_EDITABLE (page->key_row), key);
  else if (g_error_matches (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING))
    show_where_key_is_kept (page);
  else if (error != NULL)
    toast (page->self, error->message);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(ConfabPreferences) self = user_data;
  g_autoptr(GError) error = NULL;

  if (confab_secrets_store_finish (CONFAB_SECRETS (object), result, &error))
    toast (self, _("The key is saved in the keyring."));
  else
    toast (self, error->message);

  /* Kept in memory without a keyring: used all the same. */
  confab_application_reload_key (CONFAB_APPLICATION (g_application_get_default ()));
}

static void
key_cleared_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ConfabPreferences) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_secrets_clear_finish (CONFAB_SECRETS (object), result, &error))
    toast (self, error->message);
  confab_application_reload_key (CONFAB_APPLICATION (g_application_get_default ()));
}

static void
key_applied_cb (AdwEntryRow *row,
                ProfilePage *page)
{
  const char *key = gtk_editable_get_text (GTK_EDITABLE (row));
  ConfabSecrets *secrets = confab_profiles_get_secrets (page->self->profiles);
  g_autofree char *stripped = g_strstrip (g_strdup (key));

  /* The environment's key is for this run, as its page says: one typed
   * there replaces OPENAI_API_KEY in memory and goes to no keyring. */
  if (confab_profile_get_is_environment (page->profile))
    {
      confab_secrets_keep_in_memory (secrets, confab_profile_get_id (page->profile),
                                     *stripped != '\0' ? stripped : NULL);
      toast (page->self, _("The key is used until Confab quits, and saved nowhere."));
      confab_application_reload_key (CONFAB_APPLICATION (g_application_get_default ()));
      return;
    }

  if (*stripped == '\0')
    confab_secrets_clear_async (secrets, confab_profile_get_id (page->profile), NULL,
                                key_cleared_cb, g_object_ref (page->self));
  else
    confab_secrets_store_async (secrets, confab_profile_get_id (page->profile),
                                confab_profile_get_name (page->profile), stripped, NULL,
                                key_stored_cb, g_object_ref (page->self));
}

static void
tested_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  ProfilePage *page = user_data;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  models = confab_client_list_models_finish (CONFAB_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_widget_set_sensitive (page->test_button, TRUE);
  if (models != NULL)
    {
      const char *model = confab_profile_get_default_model (page->profile);

      text = g_strdup_printf (ngettext ("Connected: the server lists %u model.",
                                        "Connected: the server lists %u models.", models->len),
                              models->len);
      /* A new local server's profile has no model yet: its first one is
       * a start, which the model button changes. */
      if ((model == NULL || *model == '\0') && models->len > 0)
        confab_profile_set_default_model (page->profile, g_ptr_array_index (models, 0));
    }
  else if (g_error_matches (error, CONFAB_CLIENT_ERROR, CONFAB_CLIENT_ERROR_CERTIFICATE))
    /* Translators: %s says why the server's certificate cannot be
     * trusted, and gives its fingerprint */
    text = g_strdup_printf (_("%s To trust this certificate, use this provider and send a "
                              "message: the chat shows its fingerprint and asks."),
                            error->message);
  else
    text = g_strdup (error->message);

  adw_action_row_set_subtitle (page->test_row, text);
  gtk_widget_grab_focus (page->test_button);
}

static void
test_clicked_cb (GtkButton   *button,
                 ProfilePage *page)
{
  g_autofree char *key = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (page->key_row))));
  g_autoptr(ConfabClient) client = NULL;

  client = confab_client_new (confab_profile_get_base_url (page->profile),
                              *key != '\0' ? key : NULL);
  /* The certificate the user trusted for this provider passes here as it
   * does in the chat (see apply_profile () in confab-application.c). */
  confab_client_set_pinned_certificate (client,
                                        confab_profile_get_pinned_certificate (page->profile));
  g_cancellable_cancel (page->cancellable);
  g_clear_object (&page->cancellable);
  page->cancellable = g_cancellable_new ();

  gtk_widget_set_sensitive (page->test_button, FALSE);
  adw_action_row_set_subtitle (page->test_row, _("Connecting…"));
  confab_client_list_models_async (client, page->cancellable, tested_cb, page);
}

static void
use_clicked_cb (GtkButton   *button,
                ProfilePage *page)
{
  confab_profiles_set_active (page->self->profiles, page->profile);
  toast (page->self, _("New chats ask this provider."));
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(ConfabPreferences) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!confab_profiles_remove_finish (CONFAB_PROFILES (object), result, &error))
    toast (self, error->message);
}

static void
back_clicked_cb (ConfabPreferences *self)
{
  self->subpage = NULL;
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
}

/* Escape goes back from a provider's page, and closes the window from
 * the list. */
static gboolean
escape_cb (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  ConfabPreferences *self = CONFAB_PREFERENCES (widget);

  if (self->subpage != NULL && gtk_widget_get_mapped (self->subpage))
    back_clicked_cb (self);
  else
    gtk_window_close (GTK_WINDOW (self));

  return TRUE;
}

static void
remove_clicked_cb (GtkButton   *button,
                   ProfilePage *page)
{
  ConfabPreferences *self = page->self;

  confab_profiles_remove_async (self->profiles, page->profile, NULL, removed_cb,
                                g_object_ref (self));
  back_clicked_cb (self);
}

static void
forget_certificate_cb (GtkButton   *button,
                       ProfilePage *page)
{
  confab_profile_set_pinned_certificate (page->profile, "");
  gtk_widget_set_visible (gtk_widget_get_ancestor (GTK_WIDGET (button),
                                                   ADW_TYPE_PREFERENCES_GROUP), FALSE);
}

static GtkWidget *
build_profile_page (ConfabPreferences *self,
                    ConfabProfile     *profile)
{
  ProfilePage *page = g_new0 (ProfilePage, 1);
  gboolean environment = confab_profile_get_is_environment (profile);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *title = adw_window_title_new (NULL, NULL);
  GtkWidget *back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  GtkWidget *prefs = adw_preferences_page_new ();
  GtkWidget *connection = adw_preferences_group_new ();
  GtkWidget *requests = adw_preferences_group_new ();
  GtkWidget *certificate = adw_preferences_group_new ();
  GtkWidget *actions = adw_preferences_group_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *row;
  GtkWidget *button;
  GtkWidget *toggle;

  page->self = self;
  page->profile = g_object_ref (profile);
  g_object_set_data_full (G_OBJECT (box), "confab-page", page,
                          (GDestroyNotify)profile_page_free);

  /* The header: back to the list */
  g_object_bind_property (profile, "name", title, "title", G_BINDING_SYNC_CREATE);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  gtk_widget_set_tooltip_text (back, _("Back"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (back), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Back to the providers"), -1);
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (back_clicked_cb), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), back);
  gtk_box_append (GTK_BOX (box), header);

  /* Connection */
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (connection), _("Connection"));
  page->connection = connection;
  show_where_key_is_kept (page);
  g_signal_connect_object (confab_profiles_get_secrets (self->profiles),
                           "notify::keyring-available", G_CALLBACK (keyring_available_cb), box,
                           G_CONNECT_SWAPPED);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (connection),
                             entry_row_new (_("Name"), profile, "name"));
  row = entry_row_new (_("Base URL"), profile, "base-url");
  adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_URL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (connection), row);

  page->key_row = adw_password_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (page->key_row), _("API Key"));
  adw_entry_row_set_show_apply_button (ADW_ENTRY_ROW (page->key_row), TRUE);
  g_signal_connect (page->key_row, "apply", G_CALLBACK (key_applied_cb), page);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (connection), page->key_row);
  if (!environment)
    {
      page->cancellable = g_cancellable_new ();
      confab_secrets_lookup_async (confab_profiles_get_secrets (self->profiles),
                                   confab_profile_get_id (profile), page->cancellable,
                                   key_looked_up_cb, page);
    }
  else
    {
      g_autofree char *kept = NULL;

      kept = confab_secrets_dup_kept_in_memory (confab_profiles_get_secrets (self->profiles),
                                                confab_profile_get_id (profile));
      if (kept != NULL)
        gtk_editable_set_text (GTK_EDITABLE (page->key_row), kept);
    }

  adw_preferences_group_add (ADW_PREFERENCES_GROUP (connection),
                             entry_row_new (_("Default Model"), profile, "default-model"));

  page->test_row = ADW_ACTION_ROW (adw_action_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (page->test_row), _("Connection Test"));
  adw_action_row_set_subtitle (page->test_row, _("Asks the server for its models."));
  page->test_button = gtk_button_new_with_mnemonic (_("_Test"));
  gtk_widget_set_valign (page->test_button, GTK_ALIGN_CENTER);
  g_signal_connect (page->test_button, "clicked", G_CALLBACK (test_clicked_cb), page);
  adw_action_row_add_suffix (page->test_row, page->test_button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (connection), GTK_WIDGET (page->test_row));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (prefs), ADW_PREFERENCES_GROUP (connection));

  /* Requests */
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (requests), _("Requests"));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Stream Replies"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Off: the whole reply comes at once, for servers that cannot "
                                 "stream."));
  toggle = gtk_switch_new ();
  gtk_widget_set_valign (toggle, GTK_ALIGN_CENTER);
  g_object_bind_property (profile, "streaming", toggle, "active",
                          G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), toggle);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), toggle);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (requests), row);

  row = spin_row_new (_("Temperature"), _("Higher is more varied. Default: the server’s."),
                      -0.1, 2.0, 0.1, 1, FALSE);
  g_object_bind_property_full (profile, "temperature",
                               gtk_spin_button_get_adjustment (g_object_get_data (G_OBJECT (row),
                                                                                  "confab-spin")),
                               "value", G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL,
                               temperature_to_spin, temperature_from_spin, NULL, NULL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (requests), row);

  row = spin_row_new (_("Longest Reply"), _("In tokens. Default: the server’s."),
                      0, 1000000, 256, 0, TRUE);
  g_object_bind_property (profile, "max-tokens",
                          gtk_spin_button_get_adjustment (g_object_get_data (G_OBJECT (row),
                                                                             "confab-spin")),
                          "value", G_BINDING_SYNC_CREATE | G_BINDING_BIDIRECTIONAL);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (requests), row);

  adw_preferences_group_add (ADW_PREFERENCES_GROUP (requests),
                             entry_row_new (_("Default System Prompt"), profile,
                                            "system-prompt"));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (prefs), ADW_PREFERENCES_GROUP (requests));

  /* A certificate the user chose to trust */
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (certificate),
                                   _("Trusted Certificate"));
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (certificate),
                                         _("This server’s certificate is not signed by an "
                                           "authority this system trusts; you chose to trust "
                                           "this one. Any other is refused."));
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("SHA-256 Fingerprint"));
  g_object_bind_property (profile, "pinned-certificate", row, "subtitle", G_BINDING_SYNC_CREATE);
  button = gtk_button_new_with_mnemonic (_("_Forget"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_signal_connect (button, "clicked", G_CALLBACK (forget_certificate_cb), page);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (certificate), row);
  gtk_widget_set_visible (certificate, confab_profile_get_pinned_certificate (profile)[0] != '\0');
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (prefs), ADW_PREFERENCES_GROUP (certificate));

  /* Use, remove */
  button = gtk_button_new_with_mnemonic (_("_Use This Provider"));
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_add_css_class (button, "pill");
  g_signal_connect (button, "clicked", G_CALLBACK (use_clicked_cb), page);
  gtk_box_append (GTK_BOX (buttons), button);
  if (!environment)
    {
      button = gtk_button_new_with_mnemonic (_("_Remove"));
      gtk_widget_add_css_class (button, "destructive-action");
      gtk_widget_add_css_class (button, "pill");
      g_signal_connect (button, "clicked", G_CALLBACK (remove_clicked_cb), page);
      gtk_box_append (GTK_BOX (buttons), button);
    }
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (actions), buttons);
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (prefs), ADW_PREFERENCES_GROUP (actions));
  confab_compat_fix_accessible_names (prefs);

  gtk_widget_set_vexpand (prefs, TRUE);
  gtk_box_append (GTK_BOX (box), prefs);

  return box;
}

/* The window */

static void
confab_preferences_constructed (GObject *object)
{
  ConfabPreferences *self = CONFAB_PREFERENCES (object);
  g_autoptr(GtkExpression) name = NULL;

  G_OBJECT_CLASS (confab_preferences_parent_class)->constructed (object);

  gtk_list_box_bind_model (self->profile_list, G_LIST_MODEL (self->profiles),
                           create_profile_row, self, NULL);

  name = gtk_property_expression_new (CONFAB_TYPE_PROFILE, NULL, "name");
  adw_combo_row_set_expression (self->active_row, name);
  adw_combo_row_set_model (self->active_row, G_LIST_MODEL (self->profiles));
  sync_active_row (self);
  g_signal_connect_object (self->profiles, "notify::active", G_CALLBACK (sync_active_row), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->profiles, "items-changed", G_CALLBACK (sync_active_row), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->active_row, "notify::selected", G_CALLBACK (active_selected_cb),
                           self, G_CONNECT_SWAPPED);

  fill_presets (self);
}

static void
confab_preferences_dispose (GObject *object)
{
  ConfabPreferences *self = CONFAB_PREFERENCES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PREFERENCES);
  g_clear_object (&self->profiles);

  G_OBJECT_CLASS (confab_preferences_parent_class)->dispose (object);
}

static void
confab_preferences_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabPreferences *self = CONFAB_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_PROFILES:
      self->profiles = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_preferences_class_init (ConfabPreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = confab_preferences_constructed;
  object_class->dispose = confab_preferences_dispose;
  object_class->set_property = confab_preferences_set_property;

  properties[PROP_PROFILES] =
    g_param_spec_object ("profiles", NULL, NULL, CONFAB_TYPE_PROFILES,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/ui/confab-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferences, active_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferences, profile_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferences, preset_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferences, add_popover);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferences, replies_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferences, markdown_switch);
  gtk_widget_class_bind_template_callback (widget_class, profile_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, preset_activated_cb);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, escape_cb, NULL);
}

static void
confab_preferences_init (ConfabPreferences *self)
{
  GApplication *app = g_application_get_default ();
  GSettings *settings = CONFAB_IS_APPLICATION (app)
                        ? confab_application_get_settings (CONFAB_APPLICATION (app)) : NULL;

  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  /* Without the schema there is nothing to keep the choice in. */
  if (settings != NULL)
    g_settings_bind (settings, "render-markdown", self->markdown_switch, "active",
                     G_SETTINGS_BIND_DEFAULT);
  else
    gtk_widget_set_visible (self->replies_group, FALSE);
}

/**
 * confab_preferences_new:
 * @parent: (nullable): the window it belongs to
 * @profiles: the provider profiles to show and edit
 *
 * Returns: (transfer full): a new preferences window
 */
ConfabPreferences *
confab_preferences_new (GtkWindow      *parent,
                        ConfabProfiles *profiles)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (profiles), NULL);

  return g_object_new (CONFAB_TYPE_PREFERENCES,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "profiles", profiles,
                       NULL);
}

/**
 * confab_preferences_show_profile:
 * @self: a #ConfabPreferences
 * @profile: a profile of its list
 *
 * Opens the page of @profile.
 */
void
confab_preferences_show_profile (ConfabPreferences *self,
                                 ConfabProfile     *profile)
{
  g_return_if_fail (CONFAB_IS_PREFERENCES (self));
  g_return_if_fail (CONFAB_IS_PROFILE (profile));

  self->subpage = build_profile_page (self, profile);
  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), self->subpage);
}

/**
 * confab_preferences_add_profile:
 * @self: a #ConfabPreferences
 * @preset_id: a preset's id, as confab_presets_get() lists them
 *
 * Adds a profile made from the preset and opens its page. The first
 * profile is the one in use.
 */
void
confab_preferences_add_profile (ConfabPreferences *self,
                                const char        *preset_id)
{
  ConfabProfile *profile;

  g_return_if_fail (CONFAB_IS_PREFERENCES (self));

  profile = confab_profiles_add (self->profiles, preset_id);
  if (profile == NULL)
    return;

  if (confab_profiles_get_active (self->profiles) == NULL)
    confab_profiles_set_active (self->profiles, profile);
  confab_preferences_show_profile (self, profile);
}
