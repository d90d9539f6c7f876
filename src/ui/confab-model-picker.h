/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_MODEL_PICKER (confab_model_picker_get_type ())

G_DECLARE_FINAL_TYPE (ConfabModelPicker, confab_model_picker, CONFAB, MODEL_PICKER, GtkWidget)

GtkWidget  *confab_model_picker_new         (void);
const char *confab_model_picker_get_model   (ConfabModelPicker  *self);
void        confab_model_picker_set_model   (ConfabModelPicker  *self,
                                             const char         *model);
void        confab_model_picker_set_models  (ConfabModelPicker  *self,
                                             const char * const *models);
void        confab_model_picker_set_loading (ConfabModelPicker  *self,
                                             gboolean            loading);
void        confab_model_picker_set_problem (ConfabModelPicker  *self,
                                             const char         *problem);
void        confab_model_picker_popup       (ConfabModelPicker  *self);
void        confab_model_picker_forget_models (ConfabModelPicker *self);

G_END_DECLS
