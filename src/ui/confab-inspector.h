/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-exchange.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_INSPECTOR (confab_inspector_get_type ())

G_DECLARE_FINAL_TYPE (ConfabInspector, confab_inspector, CONFAB, INSPECTOR, AdwWindow)

ConfabInspector *confab_inspector_new (GtkWindow      *parent,
                                       ConfabExchange *exchange);

G_END_DECLS
