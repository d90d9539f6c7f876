/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Runs under tests/run-with-keyring.sh, on a bus of its own: with a real
 * gnome-keyring-daemon, or (--no-keyring) with no Secret Service at all. */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "confab-secrets.h"
#include "test-wait.h"

/* Distinctive, so that finding it in a file cannot be a coincidence. */
#define KEY_ONE   "sk-confab-test-4f1d9c2b7e8a6053-one"
#define KEY_TWO   "sk-confab-test-0b3e5d7f9a1c2e4f-two"
#define KEY_THREE "sk-confab-test-9e8d7c6b5a493827-three"

static const SecretSchema api_key_schema = {
  "io.github.confab.Confab.ApiKey", SECRET_SCHEMA_NONE,
  {
    { "profile", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

static gboolean
store (ConfabSecrets  *secrets,
       const char     *id,
       const char     *name,
       const char     *key,
       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_secrets_store_async (secrets, id, name, key, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  return confab_secrets_store_finish (secrets, result, error);
}

static char *
lookup (ConfabSecrets  *secrets,
        const char     *id,
        GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_secrets_lookup_async (secrets, id, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  return confab_secrets_lookup_finish (secrets, result, error);
}

static gboolean
clear (ConfabSecrets  *secrets,
       const char     *id,
       GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  GAsyncResult *slot = NULL;

  confab_secrets_clear_async (secrets, id, NULL, result_cb, &slot);
  result = wait_for_result (&slot);
  return confab_secrets_clear_finish (secrets, result, error);
}

static void
assert_key (ConfabSecrets *secrets,
            const char    *id,
            const char    *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key = lookup (secrets, id, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, expected);
}

static gboolean
contains (const char *haystack,
          gsize       length,
          const char *needle)
{
  gsize needle_length = strlen (needle);

  for (gsize i = 0; i + needle_length <= length; i++)
    {
      if (memcmp (haystack + i, needle, needle_length) == 0)
        return TRUE;
    }

  return FALSE;
}

/* Counts the files under @path and fails if one holds @needle. */
static guint
scan (const char *path,
      const char *needle)
{
  g_autoptr(GDir) dir = NULL;
  const char *name = NULL;
  guint n_files = 0;

  if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    return 0;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *contents = NULL;
      gsize length = 0;

      /* Sockets and the like cannot be read, and hold nothing at rest. */
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) ||
          !g_file_get_contents (path, &contents, &length, NULL))
        return 0;

      if (contains (contents, length, needle))
        g_error ("%s holds the key", path);
      return 1;
    }

  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      n_files += scan (child, needle);
    }

  return n_files;
}

/* The wrapper's folder holds HOME, every XDG folder, TMPDIR (and so this
 * process's isolated folders) and the keyring daemon's files. */
static guint
scan_all (const char *needle)
{
  const char *root = g_getenv ("CONFAB_TEST_KEYRING_ROOT");

  g_assert_nonnull (root);
  return scan (root, needle) + scan (g_get_user_data_dir (), needle) +
         scan (g_get_user_config_dir (), needle) + scan (g_get_user_cache_dir (), needle) +
         scan (g_get_home_dir (), needle);
}

static void
test_keyring_store_lookup (void)
{
  g_autoptr(ConfabSecrets) secrets = confab_secrets_new ();
  g_autoptr(ConfabSecrets) fresh = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (store (secrets, "profile-a", "Work", KEY_ONE, &error));
  g_assert_no_error (error);
  g_assert_true (confab_secrets_get_keyring_available (secrets));
  assert_key (secrets, "profile-a", KEY_ONE);

  /* The keyring has it, not this object: a new one finds it too. */
  fresh = confab_secrets_new ();
  assert_key (fresh, "profile-a", KEY_ONE);

  /* A profile without a key is no error. */
  assert_key (secrets, "profile-none", NULL);

  g_assert_true (clear (secrets, "profile-a", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&fresh));
  g_assert_finalize_object (g_steal_pointer (&secrets));
}

static void
test_keyring_replace_clear (void)
{
  g_autoptr(ConfabSecrets) secrets = confab_secrets_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GList) items = NULL;

  g_assert_true (store (secrets, "profile-r", "Work", KEY_ONE, &error));
  g_assert_no_error (error);
  g_assert_true (store (secrets, "profile-r", "Work", KEY_TWO, &error));
  g_assert_no_error (error);
  assert_key (secrets, "profile-r", KEY_TWO);

  /* Replaced, not added: one item, labelled for a person. */
  items = secret_password_search_sync (&api_key_schema, SECRET_SEARCH_ALL, NULL, &error,
                                       "profile", "profile-r", NULL);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_length (items), ==, 1);
  {
    g_autofree char *label = secret_retrievable_get_label (items->data);

    g_assert_cmpstr (label, ==, "Confab API key for Work");
  }
  g_list_free_full (g_steal_pointer (&items), g_object_unref);

  g_assert_true (clear (secrets, "profile-r", &error));
  g_assert_no_error (error);
  assert_key (secrets, "profile-r", NULL);

  /* Clearing what is not there is fine. */
  g_assert_true (clear (secrets, "profile-r", &error));
  g_assert_no_error (error);

  g_assert_finalize_object (g_steal_pointer (&secrets));
}

static void
test_keyring_profiles_apart (void)
{
  g_autoptr(ConfabSecrets) secrets = confab_secrets_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (store (secrets, "profile-1", "One", KEY_ONE, &error));
  g_assert_no_error (error);
  assert_key (secrets, "profile-2", NULL);
  g_assert_true (store (secrets, "profile-2", "Two", KEY_TWO, &error));
  g_assert_no_error (error);
  assert_key (secrets, "profile-1", KEY_ONE);
  assert_key (secrets, "profile-2", KEY_TWO);

  g_assert_true (clear (secrets, "profile-1", &error));
  g_assert_no_error (error);
  assert_key (secrets, "profile-1", NULL);
  assert_key (secrets, "profile-2", KEY_TWO);

  g_assert_true (clear (secrets, "profile-2", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&secrets));
}

static void
test_keyring_no_file_holds_key (void)
{
  g_autoptr(ConfabSecrets) secrets = confab_secrets_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *keyrings = NULL;

  g_assert_true (store (secrets, "profile-f", "Files", KEY_THREE, &error));
  g_assert_no_error (error);
  assert_key (secrets, "profile-f", KEY_THREE);

  /* The daemon did write its keyring, so the scan looks where it would
   * be; the key is in it only encrypted. */
  keyrings = g_build_filename (g_getenv ("CONFAB_TEST_KEYRING_ROOT"), "data", "keyrings", NULL);
  g_assert_cmpuint (scan (keyrings, KEY_THREE), >, 0);
  g_assert_cmpuint (scan_all (KEY_THREE), >, 0);

  g_assert_true (clear (secrets, "profile-f", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&secrets));
}

static void
test_keyring_memory_first (void)
{
  g_autoptr(ConfabSecrets) secrets = confab_secrets_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *kept = NULL;

  g_assert_true (store (secrets, "environment", "Environment", KEY_ONE, &error));
  g_assert_no_error (error);
  /* The keyring's key is not one held in memory. */
  g_assert_null (confab_secrets_dup_kept_in_memory (secrets, "environment"));
  confab_secrets_keep_in_memory (secrets, "environment", KEY_TWO);
  assert_key (secrets, "environment", KEY_TWO);
  kept = confab_secrets_dup_kept_in_memory (secrets, "environment");
  g_assert_cmpstr (kept, ==, KEY_TWO);
  confab_secrets_keep_in_memory (secrets, "environment", NULL);
  assert_key (secrets, "environment", KEY_ONE);
  g_assert_null (confab_secrets_dup_kept_in_memory (secrets, "environment"));

  g_assert_true (clear (secrets, "environment", &error));
  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&secrets));
}

static void
test_no_keyring (void)
{
  g_autoptr(ConfabSecrets) secrets = confab_secrets_new ();
  g_autoptr(ConfabSecrets) fresh = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;

  g_assert_true (confab_secrets_get_keyring_available (secrets));
  g_assert_false (store (secrets, "profile-a", "Work", KEY_ONE, &error));
  g_assert_error (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING);
  g_assert_cmpstr (error->message, ==,
                   "No keyring is available, so the key is kept only until Confab quits.");
  g_clear_error (&error);
  g_assert_false (confab_secrets_get_keyring_available (secrets));

  /* Kept for the session: the same object finds it. */
  assert_key (secrets, "profile-a", KEY_ONE);
  g_assert_false (store (secrets, "profile-a", "Work", KEY_TWO, &error));
  g_assert_error (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING);
  g_clear_error (&error);
  assert_key (secrets, "profile-a", KEY_TWO);

  /* Another profile has none, and is told why. */
  key = lookup (secrets, "profile-b", &error);
  g_assert_null (key);
  g_assert_error (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING);
  g_clear_error (&error);

  /* Nothing went to disk. */
  scan_all (KEY_ONE);
  scan_all (KEY_TWO);

  /* Not kept anywhere but in that object. */
  fresh = confab_secrets_new ();
  key = lookup (fresh, "profile-a", &error);
  g_assert_null (key);
  g_assert_error (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING);
  g_clear_error (&error);

  g_assert_true (clear (secrets, "profile-a", &error));
  g_assert_no_error (error);
  key = lookup (secrets, "profile-a", &error);
  g_assert_null (key);
  g_assert_error (error, CONFAB_SECRETS_ERROR, CONFAB_SECRETS_ERROR_NO_KEYRING);

  g_assert_finalize_object (g_steal_pointer (&fresh));
  g_assert_finalize_object (g_steal_pointer (&secrets));
}

int
main (int   argc,
      char *argv[])
{
  const char *mode = g_getenv ("CONFAB_TEST_KEYRING");

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  if (g_strcmp0 (mode, "keyring") == 0)
    {
      g_test_add_func ("/confab/secrets/keyring/store-lookup", test_keyring_store_lookup);
      g_test_add_func ("/confab/secrets/keyring/replace-clear", test_keyring_replace_clear);
      g_test_add_func ("/confab/secrets/keyring/profiles-apart", test_keyring_profiles_apart);
      g_test_add_func ("/confab/secrets/keyring/no-file-holds-key",
                       test_keyring_no_file_holds_key);
      g_test_add_func ("/confab/secrets/keyring/memory-first", test_keyring_memory_first);
    }
  else if (g_strcmp0 (mode, "none") == 0)
    {
      g_test_add_func ("/confab/secrets/no-keyring", test_no_keyring);
    }
  else
    {
      g_printerr ("Run this test through tests/run-with-keyring.sh.\n");
      return 1;
    }

  return g_test_run ();
}
