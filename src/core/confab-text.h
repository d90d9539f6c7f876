/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Quoted server text is shortened so an error stays a sentence. */
#define CONFAB_TEXT_MAX_QUOTED_CHARS 400

char *confab_text_quote_server (const char *text,
                                gssize      len) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
