/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-profiles"

#include "config.h"

#include "confab-profiles.h"

#include <glib/gi18n.h>
#include <string.h>

struct _ConfabProfiles
{
  GObject parent_instance;

  /* owned */
  GSettings     *settings;
  ConfabSecrets *secrets;
  GPtrArray     *items;
  ConfabProfile *active;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabProfiles, confab_profiles, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_SECRETS,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
confab_profiles_get_item_type (GListModel *model)
{
  return CONFAB_TYPE_PROFILE;
}

static guint
confab_profiles_get_n_items (GListModel *model)
{
  ConfabProfiles *self = CONFAB_PROFILES (model);

  return self->items->len;
}

static gpointer
confab_profiles_get_item (GListModel *model,
                          guint       position)
{
  ConfabProfiles *self = CONFAB_PROFILES (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = confab_profiles_get_item_type;
  iface->get_n_items = confab_profiles_get_n_items;
  iface->get_item = confab_profiles_get_item;
}

/* A profile's settings share the backend of the app's, so that a test
 * (or anyone) that gives its own backend gets all of them there. */
static GSettings *
new_profile_settings (ConfabProfiles *self,
                      const char     *id)
{
  g_autoptr(GSettingsBackend) backend = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *path = NULL;
  GSettingsSchemaSource *source = NULL;

  g_assert (confab_profile_id_is_valid (id));

  g_object_get (self->settings, "backend", &backend, NULL);
  source = g_settings_schema_source_get_default ();
  schema = g_settings_schema_source_lookup (source, CONFAB_PROFILE_SCHEMA_ID, TRUE);
  g_assert (schema != NULL);
  path = g_strconcat (CONFAB_PROFILE_PATH_PREFIX, id, "/", NULL);
  return g_settings_new_full (schema, backend, path);
}

static ConfabProfile *
find (ConfabProfiles *self,
      const char     *id,
      guint          *position)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      ConfabProfile *profile = g_ptr_array_index (self->items, i);

      if (strcmp (confab_profile_get_id (profile), id) == 0)
        {
          if (position != NULL)
            *position = i;
          return profile;
        }
    }

  return NULL;
}

/* Writes the ids of the saved profiles, in order; the environment's is
 * left out, as it is given anew at every start. */
static void
save_ids (ConfabProfiles *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) ids = NULL;

  for (guint i = 0; i < self->items->len; i++)
    {
      ConfabProfile *profile = g_ptr_array_index (self->items, i);

      if (!confab_profile_get_is_environment (profile))
        g_strv_builder_add (builder, confab_profile_get_id (profile));
    }

  ids = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "profiles", (const char * const *) ids);
}

static void
set_active (ConfabProfiles *self,
            ConfabProfile  *profile,
            gboolean        save)
{
  if (save && profile != NULL && !confab_profile_get_is_environment (profile))
    g_settings_set_string (self->settings, "active-profile", confab_profile_get_id (profile));

  if (g_set_object (&self->active, profile))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

static const ConfabPreset *
preset_for_url (const char *base_url)
{
  const ConfabPreset *presets = NULL;
  guint n_presets = 0;
  g_autofree char *trimmed = g_strdup (base_url);
  gsize len = strlen (trimmed);

  /* "https://api.openai.com/v1/" is the same endpoint as without "/". */
  while (len > 0 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';

  presets = confab_presets_get (&n_presets);
  for (guint i = 0; i < n_presets; i++)
    {
      if (*presets[i].base_url != '\0' && g_ascii_strcasecmp (presets[i].base_url, trimmed) == 0)
        return &presets[i];
    }

  return confab_preset_lookup ("custom");
}

static gboolean
differs_from_default (GSettings  *settings,
                      const char *key)
{
  g_autoptr(GVariant) value = g_settings_get_value (settings, key);
  g_autoptr(GVariant) fallback = g_settings_get_default_value (settings, key);

  return !g_variant_equal (value, fallback);
}

/* Before profiles, one endpoint lived in the base-url and model keys.
 * Someone who changed them gets them back as a profile, once. */
static void
migrate_legacy (ConfabProfiles *self)
{
  g_autofree char *base_url = NULL;
  g_autofree char *model = NULL;
  g_autoptr(GUri) uri = NULL;
  const ConfabPreset *preset = NULL;
  ConfabProfile *profile = NULL;

  if (g_settings_get_boolean (self->settings, "profiles-migrated"))
    return;

  g_settings_set_boolean (self->settings, "profiles-migrated", TRUE);
  if (!differs_from_default (self->settings, "base-url") &&
      !differs_from_default (self->settings, "model"))
    return;

  base_url = g_settings_get_string (self->settings, "base-url");
  model = g_settings_get_string (self->settings, "model");
  preset = preset_for_url (base_url);
  profile = confab_profiles_add (self, preset->id);
  confab_profile_set_base_url (profile, base_url);
  confab_profile_set_default_model (profile, model);

  /* A custom endpoint is known by its host, which tells two apart. */
  uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  if (strcmp (preset->id, "custom") == 0 && uri != NULL && g_uri_get_host (uri) != NULL)
    confab_profile_set_name (profile, g_uri_get_host (uri));

  g_debug ("Made a %s profile from the old settings", preset->id);
  set_active (self, profile, TRUE);
}

static void
load (ConfabProfiles *self)
{
  g_auto(GStrv) ids = g_settings_get_strv (self->settings, "profiles");
  g_autofree char *active_id = NULL;
  ConfabProfile *active = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(GSettings) settings = NULL;

      /* The list can be edited by hand: an id that is no path element,
       * or one listed twice, is skipped instead of failing the start. */
      if (!confab_profile_id_is_valid (ids[i]) || find (self, ids[i], NULL) != NULL)
        continue;

      settings = new_profile_settings (self, ids[i]);
      g_ptr_array_add (self->items, confab_profile_new (ids[i], settings));
    }

  if (self->items->len == 0)
    {
      migrate_legacy (self);
      return;
    }

  active_id = g_settings_get_string (self->settings, "active-profile");
  active = find (self, active_id, NULL);
  set_active (self, active != NULL ? active : g_ptr_array_index (self->items, 0), FALSE);
}

static void
confab_profiles_constructed (GObject *object)
{
  ConfabProfiles *self = CONFAB_PROFILES (object);

  G_OBJECT_CLASS (confab_profiles_parent_class)->constructed (object);

  load (self);
}

static void
confab_profiles_dispose (GObject *object)
{
  ConfabProfiles *self = (ConfabProfiles *)object;

  g_clear_object (&self->active);
  if (self->items != NULL)
    g_ptr_array_set_size (self->items, 0);
  g_clear_object (&self->secrets);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (confab_profiles_parent_class)->dispose (object);
}

static void
confab_profiles_finalize (GObject *object)
{
  ConfabProfiles *self = (ConfabProfiles *)object;

  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_profiles_parent_class)->finalize (object);
}

static void
confab_profiles_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabProfiles *self = CONFAB_PROFILES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    case PROP_SECRETS:
      g_value_set_object (value, self->secrets);
      break;

    case PROP_ACTIVE:
      g_value_set_object (value, self->active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_profiles_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  ConfabProfiles *self = CONFAB_PROFILES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    case PROP_SECRETS:
      self->secrets = g_value_dup_object (value);
      break;

    case PROP_ACTIVE:
      confab_profiles_set_active (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_profiles_class_init (ConfabProfilesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = confab_profiles_constructed;
  object_class->dispose = confab_profiles_dispose;
  object_class->finalize = confab_profiles_finalize;
  object_class->get_property = confab_profiles_get_property;
  object_class->set_property = confab_profiles_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECRETS] =
    g_param_spec_object ("secrets", NULL, NULL, CONFAB_TYPE_SECRETS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ACTIVE] =
    g_param_spec_object ("active", NULL, NULL, CONFAB_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_profiles_init (ConfabProfiles *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

/**
 * confab_profiles_new:
 * @settings: the app's settings, of the schema io.github.confab.Confab
 * @secrets: where the profiles' API keys are kept
 *
 * Loads the saved profiles, and makes one from the old base-url and model
 * keys the first time, if they were changed.
 *
 * Returns: (transfer full): the profiles, a #GListModel of #ConfabProfile
 */
ConfabProfiles *
confab_profiles_new (GSettings     *settings,
                     ConfabSecrets *secrets)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (CONFAB_IS_SECRETS (secrets), NULL);

  return g_object_new (CONFAB_TYPE_PROFILES, "settings", settings, "secrets", secrets, NULL);
}

/**
 * confab_profiles_get_secrets:
 * @self: the profiles
 *
 * Returns: (transfer none): where the profiles' API keys are kept, by id
 */
ConfabSecrets *
confab_profiles_get_secrets (ConfabProfiles *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);

  return self->secrets;
}

/**
 * confab_profiles_lookup:
 * @self: the profiles
 * @id: a profile id
 *
 * Returns: (transfer none) (nullable): the profile, or %NULL
 */
ConfabProfile *
confab_profiles_lookup (ConfabProfiles *self,
                        const char     *id)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return find (self, id, NULL);
}

/**
 * confab_profiles_add:
 * @self: the profiles
 * @preset_id: the id of a preset from confab_presets_get()
 *
 * Appends a saved profile with a new id, named after the preset and with
 * its endpoint. The first profile also becomes the active one.
 *
 * Returns: (transfer none): the new profile
 */
ConfabProfile *
confab_profiles_add (ConfabProfiles *self,
                     const char     *preset_id)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(ConfabProfile) profile = NULL;
  g_autofree char *id = NULL;
  const ConfabPreset *preset = NULL;

  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);
  g_return_val_if_fail (preset_id != NULL, NULL);

  preset = confab_preset_lookup (preset_id);
  g_return_val_if_fail (preset != NULL, NULL);

  id = g_uuid_string_random ();
  settings = new_profile_settings (self, id);
  profile = confab_profile_new (id, settings);
  confab_profile_set_preset (profile, preset->id);
  confab_profile_set_name (profile, confab_preset_get_display_name (preset));
  confab_profile_set_base_url (profile, preset->base_url);

  g_ptr_array_add (self->items, g_object_ref (profile));
  save_ids (self);
  g_debug ("Added a %s profile", preset->id);
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);

  if (self->active == NULL)
    set_active (self, profile, TRUE);

  return profile;
}

static void
forget_settings (ConfabProfile *profile)
{
  GSettings *settings = confab_profile_get_settings (profile);
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  if (settings == NULL)
    return;

  /* Unbound first, so that resetting does not rewrite the profile that
   * the caller may still hold. The property names are the key names. */
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_settings_unbind (profile, keys[i]);
      g_settings_reset (settings, keys[i]);
    }
}

static void
remove_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (confab_secrets_clear_finish (CONFAB_SECRETS (object), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * confab_profiles_remove_async:
 * @self: the profiles
 * @profile: one of the profiles
 * @cancellable: (nullable): a #GCancellable
 * @callback: called once the profile's key is gone from the keyring
 * @user_data: data for @callback
 *
 * Removes @profile from the list and its settings at once, then its API
 * key. When it was the active profile, the first one left becomes active.
 */
void
confab_profiles_remove_async (ConfabProfiles      *self,
                              ConfabProfile       *profile,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(ConfabProfile) removed = NULL;
  guint position = 0;

  g_return_if_fail (CONFAB_IS_PROFILES (self));
  g_return_if_fail (CONFAB_IS_PROFILE (profile));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (find (self, confab_profile_get_id (profile), &position) == profile);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_profiles_remove_async);

  removed = g_ptr_array_steal_index (self->items, position);
  if (!confab_profile_get_is_environment (removed))
    {
      g_autofree char *active_id = g_settings_get_string (self->settings, "active-profile");

      save_ids (self);
      if (strcmp (active_id, confab_profile_get_id (removed)) == 0)
        g_settings_reset (self->settings, "active-profile");
      forget_settings (removed);
    }

  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);

  if (self->active == removed)
    set_active (self, self->items->len > 0 ? g_ptr_array_index (self->items, 0) : NULL, TRUE);

  confab_secrets_clear_async (self->secrets, confab_profile_get_id (removed),
                              cancellable, remove_cb, g_steal_pointer (&task));
}

/**
 * confab_profiles_remove_finish:
 * @self: the profiles
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * The profile is gone whatever this says; an error is about its API key,
 * which may still be in the keyring.
 *
 * Returns: %TRUE when the profile's API key is gone too
 */
gboolean
confab_profiles_remove_finish (ConfabProfiles  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * confab_profiles_get_active:
 * @self: the profiles
 *
 * Returns: (transfer none) (nullable): the profile new conversations use:
 *   the environment's when it is set, or %NULL when there is none
 */
ConfabProfile *
confab_profiles_get_active (ConfabProfiles *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILES (self), NULL);

  return self->active;
}

/**
 * confab_profiles_set_active:
 * @self: the profiles
 * @profile: one of the profiles
 *
 * Makes @profile the one new conversations use, and remembers the choice
 * for the next start unless it is the environment's.
 */
void
confab_profiles_set_active (ConfabProfiles *self,
                            ConfabProfile  *profile)
{
  g_return_if_fail (CONFAB_IS_PROFILES (self));
  g_return_if_fail (CONFAB_IS_PROFILE (profile));
  g_return_if_fail (find (self, confab_profile_get_id (profile), NULL) == profile);

  set_active (self, profile, TRUE);
}

/**
 * confab_profiles_set_environment:
 * @self: the profiles
 * @base_url: (nullable): OPENAI_BASE_URL, or %NULL
 * @api_key: (nullable): OPENAI_API_KEY, or %NULL
 * @model: (nullable): OPENAI_DEFAULT_MODEL, or %NULL
 *
 * Puts first in the list a profile for the endpoint the environment names,
 * and makes it active for this run without saving anything: its values
 * are never written to the settings and its key is held in memory only.
 * What the environment leaves out comes from the profile that was active,
 * or from the old base-url and model keys. When all three are %NULL,
 * nothing changes. Calling it again replaces the values.
 */
void
confab_profiles_set_environment (ConfabProfiles *self,
                                 const char     *base_url,
                                 const char     *api_key,
                                 const char     *model)
{
  ConfabProfile *profile = NULL;
  g_autofree char *fallback_url = NULL;
  g_autofree char *fallback_model = NULL;

  g_return_if_fail (CONFAB_IS_PROFILES (self));

  if (base_url == NULL && api_key == NULL && model == NULL)
    return;

  profile = find (self, CONFAB_PROFILE_ENVIRONMENT_ID, NULL);
  if (self->active != NULL && self->active != profile)
    {
      fallback_url = g_strdup (confab_profile_get_base_url (self->active));
      fallback_model = g_strdup (confab_profile_get_default_model (self->active));
    }
  else if (profile == NULL)
    {
      fallback_url = g_settings_get_string (self->settings, "base-url");
      fallback_model = g_settings_get_string (self->settings, "model");
    }

  if (profile == NULL)
    {
      profile = confab_profile_new_environment ();
      g_ptr_array_insert (self->items, 0, profile);
      g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
    }

  if (base_url != NULL)
    confab_profile_set_base_url (profile, base_url);
  else if (fallback_url != NULL)
    confab_profile_set_base_url (profile, fallback_url);

  if (model != NULL)
    confab_profile_set_default_model (profile, model);
  else if (fallback_model != NULL)
    confab_profile_set_default_model (profile, fallback_model);

  confab_profile_set_preset (profile, preset_for_url (confab_profile_get_base_url (profile))->id);
  confab_secrets_keep_in_memory (self->secrets, CONFAB_PROFILE_ENVIRONMENT_ID, api_key);
  set_active (self, profile, FALSE);
}
