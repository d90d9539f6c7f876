/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CONFAB_SECRETS_ERROR (confab_secrets_error_quark ())

typedef enum
{
  CONFAB_SECRETS_ERROR_NO_KEYRING,
  CONFAB_SECRETS_ERROR_FAILED,
} ConfabSecretsError;

#define CONFAB_TYPE_SECRETS (confab_secrets_get_type ())

G_DECLARE_FINAL_TYPE (ConfabSecrets, confab_secrets, CONFAB, SECRETS, GObject)

GQuark         confab_secrets_error_quark            (void);

ConfabSecrets *confab_secrets_new                    (void) G_GNUC_WARN_UNUSED_RESULT;
gboolean       confab_secrets_get_keyring_available  (ConfabSecrets        *self);
void           confab_secrets_keep_in_memory         (ConfabSecrets        *self,
                                                      const char           *profile_id,
                                                      const char           *key);
char          *confab_secrets_dup_kept_in_memory     (ConfabSecrets        *self,
                                                      const char           *profile_id) G_GNUC_WARN_UNUSED_RESULT;
void           confab_secrets_store_async            (ConfabSecrets        *self,
                                                      const char           *profile_id,
                                                      const char           *profile_name,
                                                      const char           *key,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean       confab_secrets_store_finish           (ConfabSecrets        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);
void           confab_secrets_lookup_async           (ConfabSecrets        *self,
                                                      const char           *profile_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
char          *confab_secrets_lookup_finish          (ConfabSecrets        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;
void           confab_secrets_clear_async            (ConfabSecrets        *self,
                                                      const char           *profile_id,
                                                      GCancellable         *cancellable,
                                                      GAsyncReadyCallback   callback,
                                                      gpointer              user_data);
gboolean       confab_secrets_clear_finish           (ConfabSecrets        *self,
                                                      GAsyncResult         *result,
                                                      GError              **error);

G_END_DECLS
