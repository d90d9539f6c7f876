/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-client.h"
#include "confab-profiles.h"
#include "confab-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_APPLICATION (confab_application_get_type ())

G_DECLARE_FINAL_TYPE (ConfabApplication, confab_application, CONFAB, APPLICATION, AdwApplication)

ConfabApplication *confab_application_new               (void) G_GNUC_WARN_UNUSED_RESULT;
ConfabClient      *confab_application_get_client        (ConfabApplication *self);
const char        *confab_application_get_model         (ConfabApplication *self);
GSettings         *confab_application_get_settings      (ConfabApplication *self);
ConfabStore       *confab_application_get_store         (ConfabApplication *self);
gboolean           confab_application_get_store_ready   (ConfabApplication *self);
const char        *confab_application_get_store_problem (ConfabApplication *self);
const char        *confab_application_get_system_prompt (ConfabApplication *self);
ConfabProfiles    *confab_application_get_profiles     (ConfabApplication *self);
void               confab_application_reload_key        (ConfabApplication *self);
void               confab_application_show_preferences  (ConfabApplication *self,
                                                         const char        *preset_id);

G_END_DECLS
