/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct ConfabRequest ConfabRequest;

ConfabRequest *confab_request_new                   (const char    *model) G_GNUC_WARN_UNUSED_RESULT;
ConfabRequest *confab_request_ref                   (ConfabRequest *self);
void           confab_request_unref                 (ConfabRequest *self);
const char    *confab_request_get_model             (ConfabRequest *self);
void           confab_request_add_message           (ConfabRequest *self,
                                                     const char    *role,
                                                     const char    *content);
guint          confab_request_get_n_messages        (ConfabRequest *self);
void           confab_request_set_stream            (ConfabRequest *self,
                                                     gboolean       stream);
gboolean       confab_request_get_stream            (ConfabRequest *self);
void           confab_request_set_include_usage     (ConfabRequest *self,
                                                     gboolean       include_usage);
gboolean       confab_request_get_include_usage     (ConfabRequest *self);
void           confab_request_set_temperature       (ConfabRequest *self,
                                                     double         temperature);
gboolean       confab_request_has_temperature       (ConfabRequest *self);
double         confab_request_get_temperature       (ConfabRequest *self);
void           confab_request_set_max_tokens        (ConfabRequest *self,
                                                     gint64         max_tokens);
gint64         confab_request_get_max_tokens        (ConfabRequest *self);
GBytes        *confab_request_to_bytes              (ConfabRequest *self) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRequest, confab_request_unref)

G_END_DECLS
