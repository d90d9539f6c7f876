/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-profiles.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PREFERENCES (confab_preferences_get_type ())

G_DECLARE_FINAL_TYPE (ConfabPreferences, confab_preferences, CONFAB, PREFERENCES,
                      AdwPreferencesWindow)

ConfabPreferences *confab_preferences_new          (GtkWindow         *parent,
                                                    ConfabProfiles    *profiles);
void               confab_preferences_show_profile (ConfabPreferences *self,
                                                    ConfabProfile     *profile);
void               confab_preferences_add_profile  (ConfabPreferences *self,
                                                    const char        *preset_id);

G_END_DECLS
