/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-profile"

#include "config.h"

#include "confab-profile.h"

#include <glib/gi18n.h>
#include <string.h>

/* A SHA-256 digest is 32 bytes: 64 hex digits and 31 colons. */
#define FINGERPRINT_BYTES 32

struct _ConfabProfile
{
  GObject parent_instance;

  /* owned */
  char      *id;
  GSettings *settings;
  char      *name;
  char      *preset;
  char      *base_url;
  char      *default_model;
  char      *system_prompt;
  char      *pinned_certificate;

  /* plain state */
  double   temperature;
  int      max_tokens;
  gboolean streaming;
  gboolean is_environment;
};

G_DEFINE_FINAL_TYPE (ConfabProfile, confab_profile, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_SETTINGS,
  PROP_IS_ENVIRONMENT,
  PROP_NAME,
  PROP_PRESET,
  PROP_BASE_URL,
  PROP_DEFAULT_MODEL,
  PROP_STREAMING,
  PROP_TEMPERATURE,
  PROP_MAX_TOKENS,
  PROP_SYSTEM_PROMPT,
  PROP_PINNED_CERTIFICATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Product names are not translated; "Custom" is a word, so it is. */
static const ConfabPreset presets[] = {
  { "openai", "OpenAI", "https://api.openai.com/v1", TRUE },
  { "ollama", "Ollama", "http://localhost:11434/v1", FALSE },
  { "llamacpp", "llama.cpp", "http://localhost:8080/v1", FALSE },
  { "lmstudio", "LM Studio", "http://localhost:1234/v1", FALSE },
  { "openrouter", "OpenRouter", "https://openrouter.ai/api/v1", TRUE },
  { "groq", "Groq", "https://api.groq.com/openai/v1", TRUE },
  { "deepseek", "DeepSeek", "https://api.deepseek.com/v1", TRUE },
  { "mistral", "Mistral", "https://api.mistral.ai/v1", TRUE },
  { "custom", N_("Custom"), "", FALSE },
};

/**
 * confab_presets_get:
 * @n_presets: (out) (optional): where to store the number of presets
 *
 * Returns: (transfer none) (array length=n_presets): the providers a new
 *   profile can start from, in the order they are offered, "custom" last
 */
const ConfabPreset *
confab_presets_get (guint *n_presets)
{
  if (n_presets != NULL)
    *n_presets = G_N_ELEMENTS (presets);

  return presets;
}

/**
 * confab_preset_lookup:
 * @id: a preset id, such as "ollama"
 *
 * Returns: (transfer none) (nullable): the preset, or %NULL for an unknown id
 */
const ConfabPreset *
confab_preset_lookup (const char *id)
{
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      if (strcmp (presets[i].id, id) == 0)
        return &presets[i];
    }

  return NULL;
}

/**
 * confab_preset_get_display_name:
 * @preset: a preset from confab_presets_get()
 *
 * Returns: (transfer none): the name to show, translated where it is a word
 */
const char *
confab_preset_get_display_name (const ConfabPreset *preset)
{
  g_return_val_if_fail (preset != NULL, NULL);

  if (strcmp (preset->id, "custom") == 0)
    return _(preset->name);

  return preset->name;
}

/**
 * confab_profile_id_is_valid:
 * @id: (nullable): a candidate profile id
 *
 * An id becomes one element of a GSettings path, so it may hold only ASCII
 * letters, digits and "-" (a UUID does).
 *
 * Returns: whether @id can name a saved profile
 */
gboolean
confab_profile_id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 64)
    return FALSE;

  for (const char *p = id; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-')
        return FALSE;
    }

  return TRUE;
}

/**
 * confab_profile_normalize_fingerprint:
 * @text: a SHA-256 fingerprint as a person pastes it: hex digits in either
 *   case, with or without ":" or " " between the pairs, or "" for none
 *
 * Returns: (transfer full) (nullable): the fingerprint as lowercase hex pairs
 *   joined by ":", "" when @text is blank, or %NULL when it is no SHA-256
 *   fingerprint
 */
char *
confab_profile_normalize_fingerprint (const char *text)
{
  g_autoptr(GString) out = NULL;
  guint digits = 0;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_sized_new (FINGERPRINT_BYTES * 3);
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p) || digits == FINGERPRINT_BYTES * 2)
        return NULL;
      if (digits > 0 && digits % 2 == 0)
        g_string_append_c (out, ':');
      g_string_append_c (out, g_ascii_tolower (*p));
      digits++;
    }

  if (digits != 0 && digits != FINGERPRINT_BYTES * 2)
    return NULL;

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
fingerprint_is_normal (const char *text)
{
  g_autofree char *normal = confab_profile_normalize_fingerprint (text);

  return normal != NULL && strcmp (normal, text) == 0;
}

/* Settings can be edited behind Confab's back (dconf-editor): a value
 * that is no fingerprint falls back to the key's default instead of
 * reaching the setter's precondition. */
static gboolean
fingerprint_get_mapping (GValue   *value,
                         GVariant *variant,
                         gpointer  user_data)
{
  g_autofree char *normal = NULL;

  normal = confab_profile_normalize_fingerprint (g_variant_get_string (variant, NULL));
  if (normal == NULL)
    return FALSE;

  g_value_take_string (value, g_steal_pointer (&normal));
  return TRUE;
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
confab_profile_constructed (GObject *object)
{
  ConfabProfile *self = CONFAB_PROFILE (object);
  static const char * const plain_keys[] = {
    "name", "preset", "base-url", "default-model", "streaming", "temperature", "max-tokens",
    "system-prompt",
  };

  G_OBJECT_CLASS (confab_profile_parent_class)->constructed (object);

  if (self->settings == NULL)
    return;

  /* Property names are the key names, so each edit is saved as it is
   * made and the profile follows the settings when they change. */
  for (guint i = 0; i < G_N_ELEMENTS (plain_keys); i++)
    g_settings_bind (self->settings, plain_keys[i], self, plain_keys[i], G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "pinned-certificate", self, "pinned-certificate",
                                G_SETTINGS_BIND_DEFAULT, fingerprint_get_mapping, NULL, NULL,
                                NULL);
}

static void
confab_profile_finalize (GObject *object)
{
  ConfabProfile *self = (ConfabProfile *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->preset, g_free);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->default_model, g_free);
  g_clear_pointer (&self->system_prompt, g_free);
  g_clear_pointer (&self->pinned_certificate, g_free);

  G_OBJECT_CLASS (confab_profile_parent_class)->finalize (object);
}

static void
confab_profile_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabProfile *self = CONFAB_PROFILE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;

    case PROP_IS_ENVIRONMENT:
      g_value_set_boolean (value, self->is_environment);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_PRESET:
      g_value_set_string (value, self->preset);
      break;

    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;

    case PROP_DEFAULT_MODEL:
      g_value_set_string (value, self->default_model);
      break;

    case PROP_STREAMING:
      g_value_set_boolean (value, self->streaming);
      break;

    case PROP_TEMPERATURE:
      g_value_set_double (value, self->temperature);
      break;

    case PROP_MAX_TOKENS:
      g_value_set_int (value, self->max_tokens);
      break;

    case PROP_SYSTEM_PROMPT:
      g_value_set_string (value, self->system_prompt);
      break;

    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_profile_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  ConfabProfile *self = CONFAB_PROFILE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;

    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;

    case PROP_NAME:
      confab_profile_set_name (self, g_value_get_string (value));
      break;

    case PROP_PRESET:
      confab_profile_set_preset (self, g_value_get_string (value));
      break;

    case PROP_BASE_URL:
      confab_profile_set_base_url (self, g_value_get_string (value));
      break;

    case PROP_DEFAULT_MODEL:
      confab_profile_set_default_model (self, g_value_get_string (value));
      break;

    case PROP_STREAMING:
      confab_profile_set_streaming (self, g_value_get_boolean (value));
      break;

    case PROP_TEMPERATURE:
      confab_profile_set_temperature (self, g_value_get_double (value));
      break;

    case PROP_MAX_TOKENS:
      confab_profile_set_max_tokens (self, g_value_get_int (value));
      break;

    case PROP_SYSTEM_PROMPT:
      confab_profile_set_system_prompt (self, g_value_get_string (value));
      break;

    case PROP_PINNED_CERTIFICATE:
      confab_profile_set_pinned_certificate (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_profile_class_init (ConfabProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = confab_profile_constructed;
  object_class->finalize = confab_profile_finalize;
  object_class->get_property = confab_profile_get_property;
  object_class->set_property = confab_profile_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* NULL for the environment's profile, which is never saved. */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_IS_ENVIRONMENT] =
    g_param_spec_boolean ("is-environment", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", flags);
  properties[PROP_PRESET] = g_param_spec_string ("preset", NULL, NULL, "custom", flags);
  properties[PROP_BASE_URL] = g_param_spec_string ("base-url", NULL, NULL, "", flags);
  properties[PROP_DEFAULT_MODEL] = g_param_spec_string ("default-model", NULL, NULL, "", flags);
  properties[PROP_STREAMING] = g_param_spec_boolean ("streaming", NULL, NULL, TRUE, flags);
  /* -1 and 0 send nothing, so the server's own default applies. */
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", NULL, NULL, -1.0, 2.0, -1.0, flags);
  properties[PROP_MAX_TOKENS] =
    g_param_spec_int ("max-tokens", NULL, NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_SYSTEM_PROMPT] = g_param_spec_string ("system-prompt", NULL, NULL, "", flags);
  properties[PROP_PINNED_CERTIFICATE] =
    g_param_spec_string ("pinned-certificate", NULL, NULL, "", flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_profile_init (ConfabProfile *self)
{
  self->name = g_strdup ("");
  self->preset = g_strdup ("custom");
  self->base_url = g_strdup ("");
  self->default_model = g_strdup ("");
  self->system_prompt = g_strdup ("");
  self->pinned_certificate = g_strdup ("");
  self->streaming = TRUE;
  self->temperature = -1.0;
}

/**
 * confab_profile_new:
 * @id: a valid id (see confab_profile_id_is_valid())
 * @settings: (nullable): the profile's settings, of the schema
 *   %CONFAB_PROFILE_SCHEMA_ID, or %NULL for a profile that is not saved
 *
 * Makes a profile that reads its values from @settings and saves every
 * change to them.
 *
 * Returns: (transfer full): the profile
 */
ConfabProfile *
confab_profile_new (const char *id,
                    GSettings  *settings)
{
  g_return_val_if_fail (confab_profile_id_is_valid (id), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (CONFAB_TYPE_PROFILE, "id", id, "settings", settings, NULL);
}

/**
 * confab_profile_new_environment:
 *
 * Makes the profile that stands for OPENAI_BASE_URL and its siblings: it
 * has the id %CONFAB_PROFILE_ENVIRONMENT_ID and is never saved.
 *
 * Returns: (transfer full): the profile
 */
ConfabProfile *
confab_profile_new_environment (void)
{
  ConfabProfile *self = confab_profile_new (CONFAB_PROFILE_ENVIRONMENT_ID, NULL);

  self->is_environment = TRUE;
  confab_profile_set_name (self, _("Environment"));
  return self;
}

const char *
confab_profile_get_id (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->id;
}

/**
 * confab_profile_get_settings:
 * @self: a profile
 *
 * Returns: (transfer none) (nullable): the settings the profile is saved to,
 *   or %NULL when it is not saved
 */
GSettings *
confab_profile_get_settings (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->settings;
}

gboolean
confab_profile_get_is_environment (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), FALSE);

  return self->is_environment;
}

const char *
confab_profile_get_name (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->name;
}

void
confab_profile_set_name (ConfabProfile *self,
                         const char    *name)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (name != NULL);

  if (set_string (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

const char *
confab_profile_get_preset (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->preset;
}

void
confab_profile_set_preset (ConfabProfile *self,
                           const char    *preset)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (preset != NULL);

  if (set_string (&self->preset, preset))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESET]);
}

const char *
confab_profile_get_base_url (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->base_url;
}

void
confab_profile_set_base_url (ConfabProfile *self,
                             const char    *base_url)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (base_url != NULL);

  if (set_string (&self->base_url, base_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_URL]);
}

const char *
confab_profile_get_default_model (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->default_model;
}

void
confab_profile_set_default_model (ConfabProfile *self,
                                  const char    *default_model)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (default_model != NULL);

  if (set_string (&self->default_model, default_model))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEFAULT_MODEL]);
}

gboolean
confab_profile_get_streaming (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), TRUE);

  return self->streaming;
}

void
confab_profile_set_streaming (ConfabProfile *self,
                              gboolean       streaming)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;

  self->streaming = streaming;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STREAMING]);
}

double
confab_profile_get_temperature (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), -1.0);

  return self->temperature;
}

/**
 * confab_profile_set_temperature:
 * @self: a profile
 * @temperature: from 0 to 2, or -1 for the server's default
 */
void
confab_profile_set_temperature (ConfabProfile *self,
                                double         temperature)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (temperature == -1.0 || (temperature >= 0.0 && temperature <= 2.0));

  if (self->temperature == temperature)
    return;

  self->temperature = temperature;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEMPERATURE]);
}

int
confab_profile_get_max_tokens (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), 0);

  return self->max_tokens;
}

/**
 * confab_profile_set_max_tokens:
 * @self: a profile
 * @max_tokens: the most tokens a reply may have, or 0 for the server's default
 */
void
confab_profile_set_max_tokens (ConfabProfile *self,
                               int            max_tokens)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (max_tokens >= 0);

  if (self->max_tokens == max_tokens)
    return;

  self->max_tokens = max_tokens;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_TOKENS]);
}

const char *
confab_profile_get_system_prompt (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->system_prompt;
}

void
confab_profile_set_system_prompt (ConfabProfile *self,
                                  const char    *system_prompt)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (system_prompt != NULL);

  if (set_string (&self->system_prompt, system_prompt))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYSTEM_PROMPT]);
}

/**
 * confab_profile_get_pinned_certificate:
 * @self: a profile
 *
 * Returns: (transfer none): the SHA-256 fingerprint of the only certificate
 *   the server may present, as lowercase hex pairs joined by ":", or ""
 */
const char *
confab_profile_get_pinned_certificate (ConfabProfile *self)
{
  g_return_val_if_fail (CONFAB_IS_PROFILE (self), NULL);

  return self->pinned_certificate;
}

/**
 * confab_profile_set_pinned_certificate:
 * @self: a profile
 * @pinned_certificate: a fingerprint in the form
 *   confab_profile_normalize_fingerprint() returns, or "" for none
 */
void
confab_profile_set_pinned_certificate (ConfabProfile *self,
                                       const char    *pinned_certificate)
{
  g_return_if_fail (CONFAB_IS_PROFILE (self));
  g_return_if_fail (pinned_certificate != NULL);
  g_return_if_fail (fingerprint_is_normal (pinned_certificate));

  if (set_string (&self->pinned_certificate, pinned_certificate))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINNED_CERTIFICATE]);
}
