/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "confab-request.h"

G_BEGIN_DECLS

/**
 * ConfabTone:
 * @CONFAB_TONE_NEUTRAL: the register of the source
 * @CONFAB_TONE_FORMAL: formal and polite
 * @CONFAB_TONE_CASUAL: casual and friendly
 *
 * The register a translation is asked in.
 */
typedef enum
{
  CONFAB_TONE_NEUTRAL,
  CONFAB_TONE_FORMAL,
  CONFAB_TONE_CASUAL,
} ConfabTone;

/**
 * ConfabLanguage:
 * @code: the BCP 47 tag, e.g. "ko", "zh-Hans"
 * @english_name: the name the model is told, in English
 * @native_name: the language's name for itself
 *
 * A language the Translate view offers.
 */
typedef struct
{
  const char *code;
  const char *english_name;
  const char *native_name;
} ConfabLanguage;

const ConfabLanguage *confab_languages_get               (guint             *n_languages);
const ConfabLanguage *confab_language_lookup             (const char        *code);

ConfabRequest        *confab_translation_build_request   (const char        *model,
                                                          const char        *text,
                                                          const char        *from,
                                                          const char        *to,
                                                          ConfabTone         tone,
                                                          const char * const *glossary) G_GNUC_WARN_UNUSED_RESULT;
char                 *confab_translation_dup_instruction (const char        *from,
                                                          const char        *to,
                                                          ConfabTone         tone,
                                                          const char * const *glossary) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray            *confab_translation_split           (const char        *text,
                                                          gsize              max_bytes) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
