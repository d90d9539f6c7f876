/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_MODELS_ERROR (confab_models_error_quark ())

typedef enum
{
  CONFAB_MODELS_ERROR_INVALID,
  CONFAB_MODELS_ERROR_TOO_LARGE,
  CONFAB_MODELS_ERROR_SERVER,
  CONFAB_MODELS_ERROR_NO_LIST,
} ConfabModelsError;

/* OpenRouter's list, the longest known, is about 1 MB with every
 * description and price; a local server's is a few kilobytes. */
#define CONFAB_MODELS_MAX_SIZE (4 * 1024 * 1024)

GQuark     confab_models_error_quark (void);

GPtrArray *confab_models_parse       (GBytes  *body,
                                      GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
