/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The relocatable schema of one saved profile, at PROFILE_PATH_PREFIX "<id>/". */
#define CONFAB_PROFILE_SCHEMA_ID    "io.github.confab.Confab.Profile"
#define CONFAB_PROFILE_PATH_PREFIX  "/io/github/confab/Confab/profiles/"
#define CONFAB_PROFILE_ENVIRONMENT_ID "environment"

/**
 * ConfabPreset:
 * @id: the stable id saved in a profile's preset key
 * @name: the provider's name; translate it with confab_preset_get_display_name()
 * @base_url: the provider's endpoint, or "" where the user gives one
 * @needs_key: whether the provider refuses requests without an API key
 *
 * A provider a profile can start from.
 */
typedef struct
{
  const char *id;
  const char *name;
  const char *base_url;
  gboolean    needs_key;
} ConfabPreset;

#define CONFAB_TYPE_PROFILE (confab_profile_get_type ())

G_DECLARE_FINAL_TYPE (ConfabProfile, confab_profile, CONFAB, PROFILE, GObject)

const ConfabPreset *confab_presets_get                     (guint              *n_presets);
const ConfabPreset *confab_preset_lookup                   (const char         *id);
const char         *confab_preset_get_display_name         (const ConfabPreset *preset);

gboolean            confab_profile_id_is_valid             (const char         *id);
char               *confab_profile_normalize_fingerprint   (const char         *text) G_GNUC_WARN_UNUSED_RESULT;

ConfabProfile      *confab_profile_new                     (const char         *id,
                                                            GSettings          *settings) G_GNUC_WARN_UNUSED_RESULT;
ConfabProfile      *confab_profile_new_environment         (void) G_GNUC_WARN_UNUSED_RESULT;
const char         *confab_profile_get_id                  (ConfabProfile      *self);
GSettings          *confab_profile_get_settings            (ConfabProfile      *self);
gboolean            confab_profile_get_is_environment      (ConfabProfile      *self);
const char         *confab_profile_get_name                (ConfabProfile      *self);
void                confab_profile_set_name                (ConfabProfile      *self,
                                                            const char         *name);
const char         *confab_profile_get_preset              (ConfabProfile      *self);
void                confab_profile_set_preset              (ConfabProfile      *self,
                                                            const char         *preset);
const char         *confab_profile_get_base_url            (ConfabProfile      *self);
void                confab_profile_set_base_url            (ConfabProfile      *self,
                                                            const char         *base_url);
const char         *confab_profile_get_default_model       (ConfabProfile      *self);
void                confab_profile_set_default_model       (ConfabProfile      *self,
                                                            const char         *default_model);
gboolean            confab_profile_get_streaming           (ConfabProfile      *self);
void                confab_profile_set_streaming           (ConfabProfile      *self,
                                                            gboolean            streaming);
double              confab_profile_get_temperature         (ConfabProfile      *self);
void                confab_profile_set_temperature         (ConfabProfile      *self,
                                                            double              temperature);
int                 confab_profile_get_max_tokens          (ConfabProfile      *self);
void                confab_profile_set_max_tokens          (ConfabProfile      *self,
                                                            int                 max_tokens);
const char         *confab_profile_get_system_prompt       (ConfabProfile      *self);
void                confab_profile_set_system_prompt       (ConfabProfile      *self,
                                                            const char         *system_prompt);
const char         *confab_profile_get_pinned_certificate  (ConfabProfile      *self);
void                confab_profile_set_pinned_certificate  (ConfabProfile      *self,
                                                            const char         *pinned_certificate);

G_END_DECLS
