/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* json-glib 1.6 descends recursively and runs out of stack near 100,000
 * levels, which take only 100 KB. Stream events nest about seven levels
 * deep (logprobs, tool calls), our exports three, other tools' six. */
#define CONFAB_JSON_MAX_DEPTH 128

/**
 * ConfabJsonScan:
 * @CONFAB_JSON_SCAN_OK: json-glib can be given the text
 * @CONFAB_JSON_SCAN_EMPTY: only white space
 * @CONFAB_JSON_SCAN_INVALID: not strict JSON
 * @CONFAB_JSON_SCAN_TOO_DEEP: nested deeper than %CONFAB_JSON_MAX_DEPTH
 * @CONFAB_JSON_SCAN_TRUNCATED: the text ends inside a string or a container
 * @CONFAB_JSON_SCAN_TRAILING: more text follows the top-level object or
 *   array (a top-level string, number or literal is left to json-glib)
 */
typedef enum
{
  CONFAB_JSON_SCAN_OK,
  CONFAB_JSON_SCAN_EMPTY,
  CONFAB_JSON_SCAN_INVALID,
  CONFAB_JSON_SCAN_TOO_DEEP,
  CONFAB_JSON_SCAN_TRUNCATED,
  CONFAB_JSON_SCAN_TRAILING,
} ConfabJsonScan;

ConfabJsonScan confab_json_scan          (const char  *data,
                                          gsize        len,
                                          char       **owned,
                                          gsize       *where);
void           confab_json_append_strict (GString     *out,
                                          const char  *json,
                                          gsize        len);

G_END_DECLS
