/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "confab-profile.h"
#include "confab-profiles.h"
#include "confab-secrets.h"
#include "test-wait.h"

#define FINGERPRINT \
  "0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9"

typedef struct
{
  GSettingsBackend *backend;
  GSettings        *settings;
  ConfabSecrets    *secrets;
} Fixture;

/* Each case gets a memory backend of its own: the default one lives as
 * long as the process, so cases would see each other's profiles. */
static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->backend = g_memory_settings_backend_new ();
  fixture->settings = g_settings_new_with_backend (APP_ID, fixture->backend);
  fixture->secrets = confab_secrets_new ();
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (fixture->secrets);
  g_assert_finalize_object (fixture->settings);
  g_assert_finalize_object (fixture->backend);
}

static GSettings *
profile_settings (Fixture    *fixture,
                  const char *id)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autofree char *path = NULL;

  schema = g_settings_schema_source_lookup (source, CONFAB_PROFILE_SCHEMA_ID, TRUE);
  path = g_strconcat (CONFAB_PROFILE_PATH_PREFIX, id, "/", NULL);
  return g_settings_new_full (schema, fixture->backend, path);
}

static void
remove_profile (ConfabProfiles *profiles,
                ConfabProfile  *profile)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *slot = NULL;

  confab_profiles_remove_async (profiles, profile, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  g_assert_true (confab_profiles_remove_finish (profiles, result, &error));
  g_assert_no_error (error);
}

static char *
lookup_key (ConfabSecrets  *secrets,
            const char     *id,
            GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_secrets_lookup_async (secrets, id, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  return confab_secrets_lookup_finish (secrets, result, error);
}

static void
test_presets (void)
{
  static const struct
  {
    const char *id;
    const char *name;
    const char *base_url;
    gboolean    needs_key;
  } expected[] = {
    { "openai", "OpenAI", "https://api.openai.com/v1", TRUE },
    { "ollama", "Ollama", "http://localhost:11434/v1", FALSE },
    { "llamacpp", "llama.cpp", "http://localhost:8080/v1", FALSE },
    { "lmstudio", "LM Studio", "http://localhost:1234/v1", FALSE },
    { "openrouter", "OpenRouter", "https://openrouter.ai/api/v1", TRUE },
    { "groq", "Groq", "https://api.groq.com/openai/v1", TRUE },
    { "deepseek", "DeepSeek", "https://api.deepseek.com/v1", TRUE },
    { "mistral", "Mistral", "https://api.mistral.ai/v1", TRUE },
    { "custom", "Custom", "", FALSE },
  };
  const ConfabPreset *presets = NULL;
  guint n_presets = 0;

  presets = confab_presets_get (&n_presets);
  g_assert_cmpuint (n_presets, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < n_presets; i++)
    {
      g_assert_cmpstr (presets[i].id, ==, expected[i].id);
      g_assert_cmpstr (confab_preset_get_display_name (&presets[i]), ==, expected[i].name);
      g_assert_cmpstr (presets[i].base_url, ==, expected[i].base_url);
      g_assert_cmpint (presets[i].needs_key, ==, expected[i].needs_key);
      g_assert_true (confab_preset_lookup (expected[i].id) == &presets[i]);
    }

  g_assert_null (confab_preset_lookup ("nope"));
}

static void
test_fingerprint (void)
{
  static const struct
  {
    const char *text;
    const char *normal;
  } cases[] = {
    { "", "" },
    { "  ", "" },
    { FINGERPRINT, FINGERPRINT },
    { "0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D7E8F9", FINGERPRINT },
    { "0A 1B 2C 3D 4E 5F 60 71 82 93 A4 B5 C6 D7 E8 F9 0A 1B 2C 3D 4E 5F 60 71 82 93 A4 B5 C6 D7 "
      "E8 F9", FINGERPRINT },
    { "0a:1b", NULL },
    { FINGERPRINT ":00", NULL },
    { "zz:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9:0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:"
      "d7:e8:f9", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *normal = confab_profile_normalize_fingerprint (cases[i].text);

      g_assert_cmpstr (normal, ==, cases[i].normal);
    }
}

static void
test_profile_defaults (void)
{
  g_autoptr(ConfabProfile) profile = confab_profile_new ("abc-123", NULL);
  gboolean is_environment = TRUE;

  g_assert_cmpstr (confab_profile_get_id (profile), ==, "abc-123");
  g_assert_cmpstr (confab_profile_get_name (profile), ==, "");
  g_assert_cmpstr (confab_profile_get_preset (profile), ==, "custom");
  g_assert_cmpstr (confab_profile_get_base_url (profile), ==, "");
  g_assert_cmpstr (confab_profile_get_default_model (profile), ==, "");
  g_assert_true (confab_profile_get_streaming (profile));
  g_assert_cmpfloat (confab_profile_get_temperature (profile), ==, -1.0);
  g_assert_cmpint (confab_profile_get_max_tokens (profile), ==, 0);
  g_assert_cmpstr (confab_profile_get_system_prompt (profile), ==, "");
  g_assert_cmpstr (confab_profile_get_pinned_certificate (profile), ==, "");
  g_object_get (profile, "is-environment", &is_environment, NULL);
  g_assert_false (is_environment);

  g_assert_true (confab_profile_id_is_valid ("8d4c1a52-9f7e-4d1b-a3a6-0c2f5e7b9d10"));
  g_assert_false (confab_profile_id_is_valid (""));
  g_assert_false (confab_profile_id_is_valid ("a/b"));
  g_assert_false (confab_profile_id_is_valid ("../x"));

  g_assert_finalize_object (g_steal_pointer (&profile));
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  (*(guint *)user_data)++;
}

/* A notify wakes UI work, so setting the same value again must not. */
static void
test_profile_notify (void)
{
  g_autoptr(ConfabProfile) profile = confab_profile_new ("abc", NULL);
  guint count = 0;

  g_signal_connect (profile, "notify", G_CALLBACK (count_notify_cb), &count);
  confab_profile_set_name (profile, "A");
  confab_profile_set_name (profile, "A");
  confab_profile_set_temperature (profile, 0.5);
  confab_profile_set_temperature (profile, 0.5);
  confab_profile_set_streaming (profile, FALSE);
  confab_profile_set_streaming (profile, FALSE);
  confab_profile_set_max_tokens (profile, 10);
  confab_profile_set_max_tokens (profile, 10);
  confab_profile_set_pinned_certificate (profile, FINGERPRINT);
  confab_profile_set_pinned_certificate (profile, FINGERPRINT);
  g_assert_cmpuint (count, ==, 5);

  g_assert_finalize_object (g_steal_pointer (&profile));
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    user_data)
{
  GString *log = user_data;

  g_string_append_printf (log, "%u-%u+%u;", position, removed, added);
}

static void
test_add_remove_active (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_auto(GStrv) ids = NULL;
  g_autofree char *active_id = NULL;
  ConfabProfile *openai = NULL;
  ConfabProfile *ollama = NULL;
  ConfabProfile *custom = NULL;
  ConfabProfile *item = NULL;

  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (profiles)) == CONFAB_TYPE_PROFILE);
  g_assert_null (confab_profiles_get_active (profiles));
  g_signal_connect (profiles, "items-changed", G_CALLBACK (items_changed_cb), log);

  openai = confab_profiles_add (profiles, "openai");
  ollama = confab_profiles_add (profiles, "ollama");
  custom = confab_profiles_add (profiles, "custom");
  g_assert_cmpstr (log->str, ==, "0-0+1;1-0+1;2-0+1;");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 3);

  g_assert_cmpstr (confab_profile_get_name (openai), ==, "OpenAI");
  g_assert_cmpstr (confab_profile_get_base_url (openai), ==, "https://api.openai.com/v1");
  g_assert_cmpstr (confab_profile_get_preset (ollama), ==, "ollama");
  g_assert_cmpstr (confab_profile_get_base_url (ollama), ==, "http://localhost:11434/v1");
  g_assert_cmpstr (confab_profile_get_name (custom), ==, "Custom");
  g_assert_cmpstr (confab_profile_get_base_url (custom), ==, "");
  g_assert_true (g_uuid_string_is_valid (confab_profile_get_id (openai)));
  g_assert_cmpstr (confab_profile_get_id (openai), !=, confab_profile_get_id (ollama));
  g_assert_true (confab_profiles_lookup (profiles, confab_profile_get_id (ollama)) == ollama);

  /* The first profile becomes active by itself. */
  g_assert_true (confab_profiles_get_active (profiles) == openai);

  ids = g_settings_get_strv (fixture->settings, "profiles");
  g_assert_cmpuint (g_strv_length (ids), ==, 3);
  g_assert_cmpstr (ids[0], ==, confab_profile_get_id (openai));
  g_assert_cmpstr (ids[1], ==, confab_profile_get_id (ollama));
  g_assert_cmpstr (ids[2], ==, confab_profile_get_id (custom));

  confab_profiles_set_active (profiles, ollama);
  g_assert_true (confab_profiles_get_active (profiles) == ollama);
  active_id = g_settings_get_string (fixture->settings, "active-profile");
  g_assert_cmpstr (active_id, ==, confab_profile_get_id (ollama));

  /* Removing the active profile makes the first one left active, and
   * takes its key with it. */
  confab_secrets_keep_in_memory (fixture->secrets, confab_profile_get_id (ollama), "sk-ollama");
  g_string_truncate (log, 0);
  item = g_list_model_get_item (G_LIST_MODEL (profiles), 1);
  remove_profile (profiles, ollama);
  g_assert_cmpstr (log->str, ==, "1-1+0;");
  g_assert_true (confab_profiles_get_active (profiles) == openai);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 2);
  key = lookup_key (fixture->secrets, confab_profile_get_id (item), &error);
  g_assert_null (key);
  g_assert_error (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING);

  /* The caller's reference still reads as it did: removing resets the
   * settings, not the object. */
  g_assert_cmpstr (confab_profile_get_name (item), ==, "Ollama");
  g_assert_finalize_object (item);

  g_clear_pointer (&ids, g_strfreev);
  ids = g_settings_get_strv (fixture->settings, "profiles");
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  g_assert_cmpstr (ids[1], ==, confab_profile_get_id (custom));

  remove_profile (profiles, openai);
  remove_profile (profiles, custom);
  g_assert_null (confab_profiles_get_active (profiles));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 0);

  g_assert_finalize_object (g_steal_pointer (&profiles));
}

static void
test_persistence (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  g_autoptr(ConfabProfiles) again = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *second_id = NULL;
  g_autofree char *saved_name = NULL;
  g_autofree char *removed_id = NULL;
  ConfabProfile *profile = NULL;

  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  profile = confab_profiles_add (profiles, "groq");
  first_id = g_strdup (confab_profile_get_id (profile));
  profile = confab_profiles_add (profiles, "custom");
  second_id = g_strdup (confab_profile_get_id (profile));
  confab_profile_set_name (profile, "Work server");
  confab_profile_set_base_url (profile, "https://llm.example.com/v1");
  confab_profile_set_default_model (profile, "qwen2.5");
  confab_profile_set_streaming (profile, FALSE);
  confab_profile_set_temperature (profile, 0.25);
  confab_profile_set_max_tokens (profile, 512);
  confab_profile_set_system_prompt (profile, "Answer in Japanese.");
  confab_profile_set_pinned_certificate (profile, FINGERPRINT);
  confab_profiles_set_active (profiles, profile);

  /* Every edit is in the profile's own settings, and no key is. */
  settings = profile_settings (fixture, second_id);
  saved_name = g_settings_get_string (settings, "name");
  g_assert_cmpstr (saved_name, ==, "Work server");
  g_assert_cmpint (g_settings_get_int (settings, "max-tokens"), ==, 512);
  g_assert_finalize_object (g_steal_pointer (&profiles));

  again = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 2);
  profile = confab_profiles_get_active (again);
  g_assert_nonnull (profile);
  g_assert_cmpstr (confab_profile_get_id (profile), ==, second_id);
  g_assert_cmpstr (confab_profile_get_name (profile), ==, "Work server");
  g_assert_cmpstr (confab_profile_get_preset (profile), ==, "custom");
  g_assert_cmpstr (confab_profile_get_base_url (profile), ==, "https://llm.example.com/v1");
  g_assert_cmpstr (confab_profile_get_default_model (profile), ==, "qwen2.5");
  g_assert_false (confab_profile_get_streaming (profile));
  g_assert_cmpfloat (confab_profile_get_temperature (profile), ==, 0.25);
  g_assert_cmpint (confab_profile_get_max_tokens (profile), ==, 512);
  g_assert_cmpstr (confab_profile_get_system_prompt (profile), ==, "Answer in Japanese.");
  g_assert_cmpstr (confab_profile_get_pinned_certificate (profile), ==, FINGERPRINT);
  g_assert_false (confab_profile_get_is_environment (profile));

  profile = confab_profiles_lookup (again, first_id);
  g_assert_nonnull (profile);
  g_assert_cmpstr (confab_profile_get_name (profile), ==, "Groq");
  g_assert_cmpstr (confab_profile_get_base_url (profile), ==, "https://api.groq.com/openai/v1");

  /* A removed profile leaves nothing behind in the settings. */
  removed_id = g_strdup (second_id);
  remove_profile (again, confab_profiles_lookup (again, second_id));
  g_clear_pointer (&saved_name, g_free);
  saved_name = g_settings_get_string (settings, "name");
  g_assert_cmpstr (saved_name, ==, "");
  g_assert_cmpint (g_settings_get_int (settings, "max-tokens"), ==, 0);
  g_assert_true (confab_profiles_get_active (again) == confab_profiles_lookup (again, first_id));

  g_assert_finalize_object (g_steal_pointer (&again));
  g_assert_finalize_object (g_steal_pointer (&settings));
}

/* A certificate the user trusted stays trusted after a restart, and
 * forgetting it lasts too. */
static void
test_pin_survives_restart (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  g_autoptr(ConfabProfiles) again = NULL;
  g_autoptr(ConfabProfiles) third = NULL;
  g_autofree char *id = NULL;
  ConfabProfile *profile = NULL;

  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  profile = confab_profiles_add (profiles, "custom");
  id = g_strdup (confab_profile_get_id (profile));
  confab_profile_set_pinned_certificate (profile, FINGERPRINT);
  g_assert_finalize_object (g_steal_pointer (&profiles));

  again = confab_profiles_new (fixture->settings, fixture->secrets);
  profile = confab_profiles_lookup (again, id);
  g_assert_nonnull (profile);
  g_assert_cmpstr (confab_profile_get_pinned_certificate (profile), ==, FINGERPRINT);
  confab_profile_set_pinned_certificate (profile, "");
  g_assert_finalize_object (g_steal_pointer (&again));

  third = confab_profiles_new (fixture->settings, fixture->secrets);
  profile = confab_profiles_lookup (third, id);
  g_assert_nonnull (profile);
  g_assert_cmpstr (confab_profile_get_pinned_certificate (profile), ==, "");
  g_assert_finalize_object (g_steal_pointer (&third));
}

/* Ids edited by hand (dconf-editor) must not break the start. */
static void
test_bad_ids (Fixture       *fixture,
              gconstpointer  data)
{
  static const char * const ids[] = { "good-1", "", "../etc", "a/b", "good-1", "good-2", NULL };
  g_autoptr(ConfabProfiles) profiles = NULL;

  g_settings_set_strv (fixture->settings, "profiles", ids);
  g_settings_set_string (fixture->settings, "active-profile", "gone");
  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 2);
  g_assert_cmpstr (confab_profile_get_id (confab_profiles_get_active (profiles)), ==, "good-1");

  g_assert_finalize_object (g_steal_pointer (&profiles));
}

static void
test_migration (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  g_autoptr(ConfabProfiles) again = NULL;
  g_autofree char *legacy_url = NULL;
  ConfabProfile *profile = NULL;

  g_settings_set_string (fixture->settings, "base-url", "http://localhost:11434/v1/");
  g_settings_set_string (fixture->settings, "model", "llama3.2");
  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 1);
  profile = confab_profiles_get_active (profiles);
  g_assert_nonnull (profile);
  g_assert_cmpstr (confab_profile_get_preset (profile), ==, "ollama");
  g_assert_cmpstr (confab_profile_get_name (profile), ==, "Ollama");
  g_assert_cmpstr (confab_profile_get_base_url (profile), ==, "http://localhost:11434/v1/");
  g_assert_cmpstr (confab_profile_get_default_model (profile), ==, "llama3.2");

  /* The old keys still work for code that reads them. */
  legacy_url = g_settings_get_string (fixture->settings, "base-url");
  g_assert_cmpstr (legacy_url, ==, "http://localhost:11434/v1/");

  /* Once only: removing the profile does not bring it back. */
  remove_profile (profiles, profile);
  g_assert_finalize_object (g_steal_pointer (&profiles));
  again = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 0);

  g_assert_finalize_object (g_steal_pointer (&again));
}

static void
test_migration_custom (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  ConfabProfile *profile = NULL;

  g_settings_set_string (fixture->settings, "base-url", "https://llm.example.com:8443/v1");
  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  profile = confab_profiles_get_active (profiles);
  g_assert_nonnull (profile);
  g_assert_cmpstr (confab_profile_get_preset (profile), ==, "custom");
  g_assert_cmpstr (confab_profile_get_name (profile), ==, "llm.example.com");
  g_assert_cmpstr (confab_profile_get_default_model (profile), ==, "gpt-4o-mini");

  g_assert_finalize_object (g_steal_pointer (&profiles));
}

static void
test_no_migration_of_defaults (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;

  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 0);

  g_assert_finalize_object (g_steal_pointer (&profiles));
}

static void
test_environment (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  g_autoptr(ConfabProfiles) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *active_id = NULL;
  g_auto(GStrv) ids = NULL;
  g_autoptr(GSettings) environment_settings = NULL;
  g_autofree char *environment_url = NULL;
  ConfabProfile *saved = NULL;
  ConfabProfile *environment = NULL;
  gboolean is_environment = FALSE;

  profiles = confab_profiles_new (fixture->settings, fixture->secrets);
  saved = confab_profiles_add (profiles, "mistral");
  confab_profile_set_default_model (saved, "mistral-small");

  /* Only the key comes from the environment: the rest is the active
   * profile's. */
  confab_profiles_set_environment (profiles, NULL, "sk-env-secret", NULL);
  environment = confab_profiles_get_active (profiles);
  g_assert_nonnull (environment);
  g_assert_true (g_list_model_get_item (G_LIST_MODEL (profiles), 0) == (gpointer) environment);
  g_object_unref (environment);
  g_assert_cmpstr (confab_profile_get_id (environment), ==, "environment");
  g_assert_cmpstr (confab_profile_get_name (environment), ==, "Environment");
  g_object_get (environment, "is-environment", &is_environment, NULL);
  g_assert_true (is_environment);
  g_assert_null (confab_profile_get_settings (environment));
  g_assert_cmpstr (confab_profile_get_base_url (environment), ==, "https://api.mistral.ai/v1");
  g_assert_cmpstr (confab_profile_get_default_model (environment), ==, "mistral-small");
  g_assert_cmpstr (confab_profile_get_preset (environment), ==, "mistral");

  key = lookup_key (fixture->secrets, "environment", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-env-secret");

  /* Given again, the values are replaced, not added to. */
  confab_profiles_set_environment (profiles, "http://127.0.0.1:8080/v1", "sk-env-secret",
                                   "local");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 2);
  g_assert_cmpstr (confab_profile_get_base_url (environment), ==, "http://127.0.0.1:8080/v1");
  g_assert_cmpstr (confab_profile_get_default_model (environment), ==, "local");
  g_assert_cmpstr (confab_profile_get_preset (environment), ==, "custom");

  /* Nothing of it is saved. */
  ids = g_settings_get_strv (fixture->settings, "profiles");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, confab_profile_get_id (saved));
  active_id = g_settings_get_string (fixture->settings, "active-profile");
  g_assert_cmpstr (active_id, ==, confab_profile_get_id (saved));
  environment_settings = profile_settings (fixture, "environment");
  environment_url = g_settings_get_string (environment_settings, "base-url");
  g_assert_cmpstr (environment_url, ==, "");
  g_assert_finalize_object (g_steal_pointer (&profiles));

  again = confab_profiles_new (fixture->settings, fixture->secrets);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);
  g_assert_null (confab_profiles_lookup (again, "environment"));
  g_assert_cmpstr (confab_profile_get_id (confab_profiles_get_active (again)), ==, ids[0]);

  g_assert_finalize_object (g_steal_pointer (&again));
  g_assert_finalize_object (g_steal_pointer (&environment_settings));
}

static void
test_environment_without_profiles (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(ConfabProfiles) profiles = NULL;
  ConfabProfile *environment = NULL;

  profiles = confab_profiles_new (fixture->settings, fixture->secrets);

  /* Nothing set in the environment: nothing to add. */
  confab_profiles_set_environment (profiles, NULL, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 0);

  confab_profiles_set_environment (profiles, NULL, NULL, "gpt-4.1");
  environment = confab_profiles_get_active (profiles);
  g_assert_nonnull (environment);
  g_assert_cmpstr (confab_profile_get_base_url (environment), ==, "https://api.openai.com/v1");
  g_assert_cmpstr (confab_profile_get_default_model (environment), ==, "gpt-4.1");
  g_assert_cmpstr (confab_profile_get_preset (environment), ==, "openai");

  /* A profile added while the environment's is active does not take over. */
  confab_profiles_add (profiles, "openai");
  g_assert_true (confab_profiles_get_active (profiles) == environment);

  remove_profile (profiles, environment);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (profiles)), ==, 1);
  g_assert_false (confab_profile_get_is_environment (confab_profiles_get_active (profiles)));

  g_assert_finalize_object (g_steal_pointer (&profiles));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *no_bus = NULL;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  /* No Secret Service here: removing a profile must not touch the
   * keyring of whoever runs the tests. test-secrets has a real one. */
  no_bus = g_strconcat ("unix:path=", g_get_tmp_dir (), "/confab-no-such-bus", NULL);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", no_bus, TRUE);

  g_test_add_func ("/confab/profiles/presets", test_presets);
  g_test_add_func ("/confab/profiles/fingerprint", test_fingerprint);
  g_test_add_func ("/confab/profiles/profile-defaults", test_profile_defaults);
  g_test_add_func ("/confab/profiles/profile-notify", test_profile_notify);
#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/confab/profiles/add-remove-active", test_add_remove_active);
  ADD ("/confab/profiles/persistence", test_persistence);
  ADD ("/confab/profiles/pin-survives-restart", test_pin_survives_restart);
  ADD ("/confab/profiles/bad-ids", test_bad_ids);
  ADD ("/confab/profiles/migration", test_migration);
  ADD ("/confab/profiles/migration-custom", test_migration_custom);
  ADD ("/confab/profiles/no-migration-of-defaults", test_no_migration_of_defaults);
  ADD ("/confab/profiles/environment", test_environment);
  ADD ("/confab/profiles/environment-without-profiles", test_environment_without_profiles);
#undef ADD

  return g_test_run ();
}
