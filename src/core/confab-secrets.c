/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-secrets"

#include "config.h"

#include "confab-secrets.h"

#include <glib/gi18n.h>
#include <libsecret/secret.h>
#include <string.h>

struct _ConfabSecrets
{
  GObject parent_instance;

  /* owned: profile id -> key, for keys no keyring holds: the
   * environment's, and every key once no Secret Service answers */
  GHashTable *memory;

  /* plain state */
  gboolean keyring_available;
};

G_DEFINE_FINAL_TYPE (ConfabSecrets, confab_secrets, G_TYPE_OBJECT)

G_DEFINE_QUARK (confab-secrets-error-quark, confab_secrets_error)

enum {
  PROP_0,
  PROP_KEYRING_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The name is the app id, so that Seahorse and secret-tool show whose
 * keys these are; the profile id is the one attribute looked up. */
static const SecretSchema api_key_schema = {
  "io.github.confab.Confab.ApiKey", SECRET_SCHEMA_NONE,
  {
    { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

typedef struct
{
  char *profile_id;
  char *key;
} Request;

static void
wipe_free (char *key)
{
  if (key == NULL)
    return;

  /* A freed key should not linger in the heap for a core dump to show. */
  explicit_bzero (key, strlen (key));
  g_free (key);
}

static void
request_free (Request *request)
{
  g_clear_pointer (&request->profile_id, g_free);
  g_clear_pointer (&request->key, wipe_free);
  g_free (request);
}

static Request *
request_new (const char *profile_id,
             const char *key)
{
  Request *request = g_new0 (Request, 1);

  request->profile_id = g_strdup (profile_id);
  request->key = g_strdup (key);
  return request;
}

/* Whether @error says that no Secret Service can be reached at all, as
 * opposed to one that refused: no session bus (GIO's errors), or a bus on
 * which nobody owns or can start org.freedesktop.secrets. */
static gboolean
is_no_service_error (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;

  if (error->domain == G_IO_ERROR || error->domain == G_SPAWN_ERROR)
    return TRUE;

  if (error->domain != G_DBUS_ERROR)
    return FALSE;

  switch ((GDBusError) error->code)
    {
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
    case G_DBUS_ERROR_NO_SERVER:
    case G_DBUS_ERROR_DISCONNECTED:
    case G_DBUS_ERROR_FILE_NOT_FOUND:
    case G_DBUS_ERROR_NOT_SUPPORTED:
    case G_DBUS_ERROR_UNKNOWN_METHOD:
    case G_DBUS_ERROR_UNKNOWN_OBJECT:
    case G_DBUS_ERROR_UNKNOWN_INTERFACE:
    case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
    case G_DBUS_ERROR_SPAWN_FORK_FAILED:
    case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
    case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
    case G_DBUS_ERROR_SPAWN_FAILED:
    case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
    case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
    case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
    case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
    case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
    case G_DBUS_ERROR_SPAWN_FILE_INVALID:
    case G_DBUS_ERROR_SPAWN_NO_MEMORY:
      return TRUE;

    default:
      return FALSE;
    }
}

static GError *
new_no_keyring_error (void)
{
  const char *message = _("No keyring is available, so the key is kept only until Confab quits.");

  return g_error_new_literal (CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING, message);
}

/* Takes the libsecret error, which names D-Bus objects but never the
 * key, and says whether it meant that there is no keyring. */
static gboolean
note_error (ConfabSecrets  *self,
            GError         *error)
{
  g_assert (error != NULL);

  if (!is_no_service_error (error))
    return FALSE;

  g_debug ("No Secret Service: %s", error->message);
  if (self->keyring_available)
    {
      self->keyring_available = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYRING_AVAILABLE]);
    }

  return TRUE;
}

static void
confab_secrets_finalize (GObject *object)
{
  ConfabSecrets *self = (ConfabSecrets *)object;

  g_clear_pointer (&self->memory, g_hash_table_unref);

  G_OBJECT_CLASS (confab_secrets_parent_class)->finalize (object);
}

static void
confab_secrets_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  ConfabSecrets *self = CONFAB_SECRETS (object);

  switch (prop_id)
    {
    case PROP_KEYRING_AVAILABLE:
      g_value_set_boolean (value, self->keyring_available);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_secrets_class_init (ConfabSecretsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_secrets_finalize;
  object_class->get_property = confab_secrets_get_property;

  /* TRUE until a call finds no Secret Service; it stays FALSE for the
   * session, so that every key is kept in the same place. */
  properties[PROP_KEYRING_AVAILABLE] =
    g_param_spec_boolean ("keyring-available", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_secrets_init (ConfabSecrets *self)
{
  self->memory = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) wipe_free);
  self->keyring_available = TRUE;
}

/**
 * confab_secrets_new:
 *
 * Returns: (transfer full): a keeper of API keys, which stores them in the
 *   Secret Service under the schema "io.github.confab.Confab.ApiKey"
 */
ConfabSecrets *
confab_secrets_new (void)
{
  return g_object_new (CONFAB_TYPE_SECRETS, NULL);
}

/**
 * confab_secrets_get_keyring_available:
 * @self: the secrets
 *
 * Returns: %FALSE once a call found no Secret Service; from then on keys
 *   are kept in memory only
 */
gboolean
confab_secrets_get_keyring_available (ConfabSecrets *self)
{
  g_return_val_if_fail (CONFAB_IS_SECRETS (self), FALSE);

  return self->keyring_available;
}

/**
 * confab_secrets_keep_in_memory:
 * @self: the secrets
 * @profile_id: a profile id
 * @key: (nullable): the key, or %NULL to forget it
 *
 * Holds @key for this session only, without asking the keyring: the
 * environment's key (OPENAI_API_KEY) is given for one run, so it is
 * never stored. Lookups find it before the keyring's.
 */
void
confab_secrets_keep_in_memory (ConfabSecrets *self,
                               const char    *profile_id,
                               const char    *key)
{
  g_return_if_fail (CONFAB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);

  if (key == NULL)
    g_hash_table_remove (self->memory, profile_id);
  else
    g_hash_table_replace (self->memory, g_strdup (profile_id), g_strdup (key));
}

/**
 * confab_secrets_dup_kept_in_memory:
 * @self: the secrets
 * @profile_id: a profile id
 *
 * Gives the key held for this session without asking the keyring, such
 * as the environment's.
 *
 * Returns: (transfer full) (nullable): the key held in memory, or %NULL
 */
char *
confab_secrets_dup_kept_in_memory (ConfabSecrets *self,
                                   const char    *profile_id)
{
  g_return_val_if_fail (CONFAB_IS_SECRETS (self), NULL);
  g_return_val_if_fail (profile_id != NULL, NULL);

  return g_strdup (g_hash_table_lookup (self->memory, profile_id));
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  ConfabSecrets *self = g_task_get_source_object (task);
  Request *request = g_task_get_task_data (task);

  if (secret_password_store_finish (result, &error))
    {
      /* The keyring has it now: a copy in memory would shadow a later
       * change made in Seahorse. */
      g_hash_table_remove (self->memory, request->profile_id);
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (note_error (self, error))
    {
      g_clear_error (&error);
      confab_secrets_keep_in_memory (self, request->profile_id, request->key);
      error = new_no_keyring_error ();
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_prefix_error (&error, _("The key could not be saved in the keyring: "));
    }

  g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * confab_secrets_store_async:
 * @self: the secrets
 * @profile_id: the id of the profile the key belongs to
 * @profile_name: the profile's name, for the label the keyring shows
 * @key: the API key
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is stored
 * @user_data: data for @callback
 *
 * Stores @key in the default collection of the Secret Service, replacing
 * the profile's earlier key. See confab_secrets_store_finish() for what
 * happens when there is no Secret Service.
 */
void
confab_secrets_store_async (ConfabSecrets       *self,
                            const char          *profile_id,
                            const char          *profile_name,
                            const char          *key,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (CONFAB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (profile_name != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secrets_store_async);
  g_task_set_task_data (task, request_new (profile_id, key), (GDestroyNotify) request_free);

  if (!self->keyring_available)
    {
      confab_secrets_keep_in_memory (self, profile_id, key);
      g_task_return_error (task, new_no_keyring_error ());
      return;
    }

  /* Translators: the label of an API key in the keyring (as Seahorse
   * shows it); %s is the name of a provider profile, such as "OpenAI". */
  label = g_strdup_printf (_("Confab API key for %s"), profile_name);
  secret_password_store (&api_key_schema, SECRET_COLLECTION_DEFAULT, label, key,
                         cancellable, store_cb, g_steal_pointer (&task),
                         "profile", profile_id,
                         NULL);
}

/**
 * confab_secrets_store_finish:
 * @self: the secrets
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * When no Secret Service answers, the key is not written anywhere: it is
 * kept in memory until the process ends, lookups find it there, and this
 * returns %FALSE with %CONFAB_SECRETS_ERROR_NO_KEYRING, whose message tells
 * the user so. Any other error means the key was not stored at all.
 *
 * Returns: %TRUE when the keyring holds the key
 */
gboolean
confab_secrets_store_finish (ConfabSecrets  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRETS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  ConfabSecrets *self = g_task_get_source_object (task);
  char *secret = NULL;

  secret = secret_password_lookup_finish (result, &error);
  if (error == NULL)
    {
      /* libsecret's copy lives in non-pageable memory and must go back
       * through secret_password_free (). */
      g_task_return_pointer (task, g_strdup (secret), (GDestroyNotify) wipe_free);
      secret_password_free (secret);
      return;
    }

  if (note_error (self, error))
    {
      g_clear_error (&error);
      error = new_no_keyring_error ();
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_prefix_error (&error, _("The key could not be read from the keyring: "));
    }

  g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * confab_secrets_lookup_async:
 * @self: the secrets
 * @profile_id: the id of a profile
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the key
 * @user_data: data for @callback
 *
 * Finds the profile's key: the one kept in memory if there is one, else
 * the keyring's.
 */
void
confab_secrets_lookup_async (ConfabSecrets       *self,
                             const char          *profile_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *kept = NULL;

  g_return_if_fail (CONFAB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secrets_lookup_async);

  kept = g_hash_table_lookup (self->memory, profile_id);
  if (kept != NULL)
    {
      g_task_return_pointer (task, g_strdup (kept), (GDestroyNotify) wipe_free);
      return;
    }

  if (!self->keyring_available)
    {
      g_task_return_error (task, new_no_keyring_error ());
      return;
    }

  secret_password_lookup (&api_key_schema, cancellable, lookup_cb,
                          g_steal_pointer (&task),
                          "profile", profile_id,
                          NULL);
}

/**
 * confab_secrets_lookup_finish:
 * @self: the secrets
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * A profile without a key gives %NULL and no error. Without a Secret
 * Service, a key kept in memory is returned as usual; if there is none,
 * this fails with %CONFAB_SECRETS_ERROR_NO_KEYRING.
 *
 * Returns: (transfer full) (nullable): the key, to be freed with g_free(),
 *   or %NULL
 */
char *
confab_secrets_lookup_finish (ConfabSecrets  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRETS (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  ConfabSecrets *self = g_task_get_source_object (task);

  /* FALSE without an error means there was nothing to remove. */
  if (secret_password_clear_finish (result, &error) || error == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Without a keyring there is nothing stored to remove. */
  if (note_error (self, error))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_prefix_error (&error, _("The key could not be removed from the keyring: "));
  g_task_return_error (task, g_steal_pointer (&error));
}

/**
 * confab_secrets_clear_async:
 * @self: the secrets
 * @profile_id: the id of a profile
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the key is gone
 * @user_data: data for @callback
 *
 * Forgets the profile's key, in memory and in the keyring.
 */
void
confab_secrets_clear_async (ConfabSecrets       *self,
                            const char          *profile_id,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CONFAB_IS_SECRETS (self));
  g_return_if_fail (profile_id != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secrets_clear_async);

  g_hash_table_remove (self->memory, profile_id);
  if (!self->keyring_available)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  secret_password_clear (&api_key_schema, cancellable, clear_cb,
                         g_steal_pointer (&task),
                         "profile", profile_id,
                         NULL);
}

/**
 * confab_secrets_clear_finish:
 * @self: the secrets
 * @result: the result given to the callback
 * @error: return location for an error
 *
 * Having no key, or no keyring, is a success.
 *
 * Returns: %TRUE when no key of the profile is left
 */
gboolean
confab_secrets_clear_finish (ConfabSecrets  *self,
                             GAsyncResult   *result,
                             GError        **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRETS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
