/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-profile.h"
#include "confab-secrets.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROFILES (confab_profiles_get_type ())

G_DECLARE_FINAL_TYPE (ConfabProfiles, confab_profiles, CONFAB, PROFILES, GObject)

ConfabProfiles *confab_profiles_new             (GSettings            *settings,
                                                 ConfabSecrets        *secrets) G_GNUC_WARN_UNUSED_RESULT;
ConfabSecrets  *confab_profiles_get_secrets     (ConfabProfiles       *self);
ConfabProfile  *confab_profiles_lookup          (ConfabProfiles       *self,
                                                 const char           *id);
ConfabProfile  *confab_profiles_add             (ConfabProfiles       *self,
                                                 const char           *preset_id);
void            confab_profiles_remove_async    (ConfabProfiles       *self,
                                                 ConfabProfile        *profile,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean        confab_profiles_remove_finish   (ConfabProfiles       *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);
ConfabProfile  *confab_profiles_get_active      (ConfabProfiles       *self);
void            confab_profiles_set_active      (ConfabProfiles       *self,
                                                 ConfabProfile        *profile);
void            confab_profiles_set_environment (ConfabProfiles       *self,
                                                 const char           *base_url,
                                                 const char           *api_key,
                                                 const char           *model);

G_END_DECLS
