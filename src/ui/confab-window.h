/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-application.h"
#include "confab-conversation.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_WINDOW (confab_window_get_type ())

G_DECLARE_FINAL_TYPE (ConfabWindow, confab_window, CONFAB, WINDOW, AdwApplicationWindow)

ConfabWindow       *confab_window_new               (ConfabApplication *application) G_GNUC_WARN_UNUSED_RESULT;
ConfabConversation *confab_window_get_conversation  (ConfabWindow      *self);
void                confab_window_open_conversation (ConfabWindow      *self,
                                                     gint64             conversation_id);
void                confab_window_translate         (ConfabWindow      *self,
                                                     const char        *text,
                                                     const char        *from,
                                                     const char        *to);

G_END_DECLS
