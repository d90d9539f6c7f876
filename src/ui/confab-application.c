/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-application"

#include "config.h"

#include "confab-application.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-compat.h"
#include "confab-preferences.h"
#include "confab-translation.h"
#include "confab-window.h"

struct _ConfabApplication
{
  AdwApplication parent_instance;

  /* owned */
  GSettings      *settings;
  ConfabSecrets  *secrets;
  ConfabProfiles *profiles;
  /* the profile whose settings the client has, watched for changes */
  ConfabProfile  *applied;
  GCancellable   *key_cancellable;
  ConfabClient   *client;
  ConfabStore  *store;
  GCancellable *cancellable;
  char         *model;
  char         *system_prompt;
  char         *store_problem;

  /* not owned: GTK keeps its toplevels; cleared when it is destroyed */
  ConfabPreferences *preferences;

  /* plain state */
  gboolean store_ready;
};

G_DEFINE_FINAL_TYPE (ConfabApplication, confab_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_STORE_READY,
  PROP_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define DEFAULT_MODEL "gpt-4o-mini"

static const char *
env_or (const char *name,
        const char *fallback)
{
  const char *value = g_getenv (name);

  return value != NULL && *value != '\0' ? value : fallback;
}

static void
key_looked_up_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(ConfabApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = confab_secrets_lookup_finish (CONFAB_SECRETS (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  /* No keyring: the request goes without a key, and a 401 says why. */
  if (error != NULL)
    g_debug ("no key: %s %d", g_quark_to_string (error->domain), error->code);

  confab_client_set_api_key (self->client, key);
}

/* Gives the client what the profile in use says. The key comes from the
 * keyring, a moment later. */
static void
apply_profile (ConfabApplication *self)
{
  ConfabProfile *profile = confab_profiles_get_active (self->profiles);
  g_autofree char *kept_key = NULL;
  const char *model;
  const char *system_prompt;

  if (profile == NULL)
    return;

  confab_client_set_base_url (self->client, confab_profile_get_base_url (profile));
  confab_client_set_streaming (self->client, confab_profile_get_streaming (profile));
  confab_client_set_temperature (self->client, confab_profile_get_temperature (profile));
  confab_client_set_max_tokens (self->client, confab_profile_get_max_tokens (profile));
  confab_client_set_pinned_certificate (self->client,
                                        confab_profile_get_pinned_certificate (profile));

  model = confab_profile_get_default_model (profile);
  if (model != NULL && *model != '\0' && g_strcmp0 (model, self->model) != 0)
    {
      g_free (self->model);
      self->model = g_strdup (model);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
    }
  system_prompt = confab_profile_get_system_prompt (profile);
  g_free (self->system_prompt);
  self->system_prompt = g_strdup (system_prompt != NULL && *system_prompt != '\0'
                                  ? system_prompt : NULL);

  g_cancellable_cancel (self->key_cancellable);
  g_clear_object (&self->key_cancellable);

  /* The environment's key is held in memory, OPENAI_API_KEY or what the
   * user typed over it for this run: no need to wake a keyring for it. */
  if (confab_profile_get_is_environment (profile))
    {
      kept_key = confab_secrets_dup_kept_in_memory (self->secrets,
                                                    confab_profile_get_id (profile));
      confab_client_set_api_key (self->client, kept_key);
      if (kept_key != NULL)
        explicit_bzero (kept_key, strlen (kept_key));
      return;
    }

  self->key_cancellable = g_cancellable_new ();
  confab_secrets_lookup_async (self->secrets, confab_profile_get_id (profile),
                               self->key_cancellable, key_looked_up_cb, g_object_ref (self));
}

static void
active_profile_cb (ConfabApplication *self)
{
  ConfabProfile *profile = confab_profiles_get_active (self->profiles);

  if (self->applied != NULL)
    g_signal_handlers_disconnect_by_data (self->applied, self);
  g_set_object (&self->applied, profile);
  if (profile != NULL)
    g_signal_connect_object (profile, "notify", G_CALLBACK (apply_profile), self,
                             G_CONNECT_SWAPPED);

  apply_profile (self);
}

/* The environment overrides the saved settings for this run only, as the
 * OpenAI SDKs read it. */
static void
load_configuration (ConfabApplication *self)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *model = NULL;
  double idle_timeout = 120;
  double connect_timeout = 20;
  const char *value;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (APP_ID);
      base_url = g_settings_get_string (self->settings, "base-url");
      model = g_settings_get_string (self->settings, "model");
      idle_timeout = g_settings_get_uint (self->settings, "idle-timeout");
      connect_timeout = g_settings_get_uint (self->settings, "connect-timeout");
    }
  else
    {
      g_message ("The settings schema %s is not installed; using defaults", APP_ID);
    }

  if ((value = g_getenv ("CONFAB_IDLE_TIMEOUT")) != NULL)
    idle_timeout = g_ascii_strtod (value, NULL);

  self->model = g_strdup (env_or ("OPENAI_DEFAULT_MODEL",
                                  model != NULL && *model != '\0' ? model : DEFAULT_MODEL));
  self->client = confab_client_new (env_or ("OPENAI_BASE_URL", base_url),
                                    g_getenv ("OPENAI_API_KEY"));
  confab_client_set_idle_timeout (self->client, idle_timeout);
  confab_client_set_connect_timeout (self->client, connect_timeout);

  /* Profiles need the settings; without the schema, the environment and
   * the defaults are all there is. */
  if (self->settings == NULL)
    return;

  self->secrets = confab_secrets_new ();
  self->profiles = confab_profiles_new (self->settings, self->secrets);
  confab_profiles_set_environment (self->profiles, env_or ("OPENAI_BASE_URL", NULL),
                                   env_or ("OPENAI_API_KEY", NULL),
                                   env_or ("OPENAI_DEFAULT_MODEL", NULL));
  g_signal_connect_object (self->profiles, "notify::active", G_CALLBACK (active_profile_cb),
                           self, G_CONNECT_SWAPPED);
  active_profile_cb (self);
}

static void
store_opened_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(ConfabApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(ConfabStore) store = NULL;

  store = confab_store_new_for_path_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (store == NULL)
    {
      g_debug ("history not opened: %s", g_quark_to_string (error->domain));
      self->store_problem =
        g_strdup_printf (/* Translators: %s says why the history could not be opened */
                         _("The history could not be opened, so this session is not saved: "
                           "%s"), error->message);
    }
  else if (confab_store_get_recovered_from_corruption (store) != NULL)
    {
      self->store_problem =
        g_strdup_printf (/* Translators: %s is the path of a file */
                         _("The history file was damaged. It was kept as %s, and a new one "
                           "was started."), confab_store_get_recovered_from_corruption (store));
    }

  self->store = g_steal_pointer (&store);
  self->store_ready = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE_READY]);
}

/* The history opens off the main thread; windows show at once and load
 * the latest conversation when it is ready. */
static void
open_store (ConfabApplication *self)
{
  g_autofree char *path = confab_store_dup_default_path ();

  self->cancellable = g_cancellable_new ();
  confab_store_new_for_path_async (path, self->cancellable, store_opened_cb,
                                   g_object_ref (self));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GApplication *app = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  /* Closing each window stops its streams before the process ends. */
  for (GList *l = windows; l != NULL; l = windows)
    {
      windows = l->next;
      gtk_window_destroy (l->data);
    }
  g_application_quit (app);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  static const char *developers[] = { "The Confab authors", NULL };

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("Confab"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "developer-name", _("The Confab authors"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "comments", _("Chat with language models, token by token"),
                         NULL);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  ConfabApplication *self = user_data;

  confab_application_show_preferences (self, NULL);
}

/* The window a translation asked from outside goes to: the main window
 * used last, or a new one. The active window may be Preferences or About,
 * so the list is searched; it is in the order of use. */
static ConfabWindow *
ensure_window (ConfabApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (CONFAB_IS_WINDOW (l->data))
      return l->data;

  return confab_window_new (self);
}

static void
translate_text (ConfabApplication *self,
                const char        *text,
                const char        *from,
                const char        *to)
{
  ConfabWindow *window = ensure_window (self);

  confab_window_translate (window, text, from, to);
  gtk_window_present (GTK_WINDOW (window));
}

/* For a keyboard shortcut of the desktop: `gdbus call` activates it on
 * the running instance, or `confab --translate` does the same. */
static void
translate_clipboard_action (GSimpleAction *action,
                            GVariant      *parameter,
                            gpointer       user_data)
{
  translate_text (CONFAB_APPLICATION (user_data), NULL, NULL, NULL);
}

static void
translate_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  translate_text (CONFAB_APPLICATION (user_data), g_variant_get_string (parameter, NULL), NULL,
                  NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action, NULL, NULL, NULL },
  { "about", about_action, NULL, NULL, NULL },
  { "preferences", preferences_action, NULL, NULL, NULL },
  { "translate-clipboard", translate_clipboard_action, NULL, NULL, NULL },
  { "translate", translate_action, "s", NULL, NULL },
};

static const GOptionEntry option_entries[] = {
  { "translate", 't', G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Translate TEXT, or the text on the clipboard, in the Translate view"), NULL },
  { "from", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Translate from this language: a code such as ko, or auto to detect it"),
    N_("CODE") },
  { "to", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Translate into this language: a code such as ja"), N_("CODE") },
  { G_OPTION_REMAINING, 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING_ARRAY, NULL, NULL,
    N_("[TEXT…]") },
  { NULL }
};

/* The codes --from and --to take, as one line for a message. */
static char *
dup_codes (gboolean with_auto)
{
  g_autoptr(GString) codes = g_string_new (with_auto ? "auto" : NULL);
  guint n;
  const ConfabLanguage *languages = confab_languages_get (&n);

  for (guint i = 0; i < n; i++)
    {
      if (codes->len > 0)
        g_string_append (codes, ", ");
      g_string_append (codes, languages[i].code);
    }

  return g_string_free (g_steal_pointer (&codes), FALSE);
}

static gboolean
check_language (const char *code,
                gboolean    may_detect)
{
  g_autofree char *codes = NULL;

  if (code == NULL || confab_language_lookup (code) != NULL ||
      (may_detect && g_str_equal (code, "auto")))
    return TRUE;

  codes = dup_codes (may_detect);
  g_printerr (/* Translators: the first %s is what the user typed, the second a list
               * of language codes such as "ko, ja, en" */
              _("“%s” is not a language Confab translates. Use one of: %s"), code, codes);
  g_printerr ("\n");

  return FALSE;
}

/* Runs in the process started from the terminal, before it hands the
 * command line to the running instance: a mistake is reported there, with
 * a status, and nothing is started. */
static int
confab_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  g_autofree const char **text = NULL;
  const char *from = NULL;
  const char *to = NULL;
  gboolean translate = FALSE;

  g_variant_dict_lookup (options, "translate", "b", &translate);
  g_variant_dict_lookup (options, "from", "&s", &from);
  g_variant_dict_lookup (options, "to", "&s", &to);
  g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &text);

  if (!translate && (from != NULL || to != NULL || text != NULL))
    {
      g_printerr ("%s\n", _("--from, --to and a text to translate go with --translate."));
      return 2;
    }
  if (!check_language (from, TRUE) || !check_language (to, FALSE))
    return 2;

  return -1;
}

static int
confab_application_command_line (GApplication            *app,
                                 GApplicationCommandLine *command_line)
{
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  g_autofree const char **words = NULL;
  g_autofree char *text = NULL;
  const char *from = NULL;
  const char *to = NULL;
  gboolean translate = FALSE;

  g_variant_dict_lookup (options, "translate", "b", &translate);
  if (!translate)
    {
      g_application_activate (app);
      return 0;
    }

  g_variant_dict_lookup (options, "from", "&s", &from);
  g_variant_dict_lookup (options, "to", "&s", &to);
  /* The words of an unquoted text come as several arguments. */
  if (g_variant_dict_lookup (options, G_OPTION_REMAINING, "^a&s", &words))
    text = g_strjoinv (" ", (char **)words);

  translate_text (CONFAB_APPLICATION (app), text, from, to);

  return 0;
}

static void
confab_application_startup (GApplication *app)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (confab_application_parent_class)->startup (app);

  g_set_application_name (_("Confab"));
  gtk_window_set_default_icon_name (APP_ID);
  confab_compat_name_internals ();

  load_configuration (self);
  open_store (self);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences",
                                         preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         shortcuts_accels);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (app),
                                                                            "preferences")),
                               self->profiles != NULL);
}

static void
confab_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (confab_window_new (CONFAB_APPLICATION (app)));

  gtk_window_present (window);
}

static void
confab_application_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabApplication *self = CONFAB_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_STORE_READY:
      g_value_set_boolean (value, self->store_ready);
      break;

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_application_dispose (GObject *object)
{
  ConfabApplication *self = (ConfabApplication *)object;

  if (self->preferences != NULL)
    gtk_window_destroy (GTK_WINDOW (self->preferences));
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* The store finishes the writes queued to it before it goes. */
  g_clear_object (&self->store);
  g_cancellable_cancel (self->key_cancellable);
  g_clear_object (&self->key_cancellable);
  if (self->applied != NULL)
    g_signal_handlers_disconnect_by_data (self->applied, self);
  g_clear_object (&self->applied);
  g_clear_object (&self->profiles);
  g_clear_object (&self->secrets);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (confab_application_parent_class)->dispose (object);
}

static void
confab_application_finalize (GObject *object)
{
  ConfabApplication *self = (ConfabApplication *)object;

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system_prompt, g_free);
  g_clear_pointer (&self->store_problem, g_free);

  G_OBJECT_CLASS (confab_application_parent_class)->finalize (object);
}

static void
confab_application_class_init (ConfabApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = confab_application_dispose;
  object_class->finalize = confab_application_finalize;
  object_class->get_property = confab_application_get_property;
  app_class->startup = confab_application_startup;
  app_class->activate = confab_application_activate;
  app_class->handle_local_options = confab_application_handle_local_options;
  app_class->command_line = confab_application_command_line;

  properties[PROP_STORE_READY] =
    g_param_spec_boolean ("store-ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabApplication:model:
   *
   * The model new conversations ask: the profile's default one.
   */
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_application_init (ConfabApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
}

/**
 * confab_application_new:
 *
 * Returns: (transfer full): the application
 */
ConfabApplication *
confab_application_new (void)
{
  return g_object_new (CONFAB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/confab/Confab",
                       NULL);
}

/**
 * confab_application_get_client:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none): the client for the configured endpoint
 */
ConfabClient *
confab_application_get_client (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->client;
}

/**
 * confab_application_get_model:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none): the model new conversations use
 */
const char *
confab_application_get_model (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->model;
}

/**
 * confab_application_get_settings:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none) (nullable): the settings, or %NULL when the
 *   schema is not installed
 */
GSettings *
confab_application_get_settings (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->settings;
}

/**
 * confab_application_get_store:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none) (nullable): the history, or %NULL while it
 *   opens or when it could not be opened
 */
ConfabStore *
confab_application_get_store (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->store;
}

/**
 * confab_application_get_store_ready:
 * @self: a #ConfabApplication
 *
 * Returns: whether opening the history has ended, well or not
 */
gboolean
confab_application_get_store_ready (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), FALSE);

  return self->store_ready;
}

/**
 * confab_application_get_store_problem:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none) (nullable): a sentence for the user when the
 *   history could not be opened or was damaged, else %NULL
 */
const char *
confab_application_get_store_problem (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->store_problem;
}

/**
 * confab_application_get_system_prompt:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none) (nullable): the system prompt new conversations
 *   start with, from the profile in use, or %NULL
 */
const char *
confab_application_get_system_prompt (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->system_prompt;
}

/**
 * confab_application_get_profiles:
 * @self: a #ConfabApplication
 *
 * Returns: (transfer none) (nullable): the provider profiles, or %NULL
 *   when the settings schema is not installed
 */
ConfabProfiles *
confab_application_get_profiles (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), NULL);

  return self->profiles;
}

/**
 * confab_application_reload_key:
 * @self: a #ConfabApplication
 *
 * Reads the API key of the profile in use again, after it changed.
 */
void
confab_application_reload_key (ConfabApplication *self)
{
  g_return_if_fail (CONFAB_IS_APPLICATION (self));

  if (self->profiles != NULL)
    apply_profile (self);
}

/**
 * confab_application_show_preferences:
 * @self: a #ConfabApplication
 * @preset_id: (nullable): a provider to add at once, as the welcome page
 *   offers
 *
 * Opens the preferences on the providers.
 */
void
confab_application_show_preferences (ConfabApplication *self,
                                     const char        *preset_id)
{
  GtkWindow *parent;

  g_return_if_fail (CONFAB_IS_APPLICATION (self));

  if (self->profiles == NULL)
    return;

  /* One window while it is open; closing destroys it. It is not kept
   * hidden: see show_help_overlay_activated() in confab-window.c. */
  parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  if (self->preferences == NULL)
    {
      self->preferences = confab_preferences_new (parent, self->profiles);
      g_object_add_weak_pointer (G_OBJECT (self->preferences),
                                 (gpointer *)&self->preferences);
    }

  if (preset_id != NULL)
    confab_preferences_add_profile (self->preferences, preset_id);
  gtk_window_present (GTK_WINDOW (self->preferences));
}
