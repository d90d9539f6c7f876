/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CONFAB_CHUNK_ERROR (confab_chunk_error_quark ())

typedef enum
{
  CONFAB_CHUNK_ERROR_MALFORMED,
} ConfabChunkError;

typedef enum
{
  CONFAB_CHUNK_KIND_DELTA,
  CONFAB_CHUNK_KIND_DONE,
  CONFAB_CHUNK_KIND_ERROR,
} ConfabChunkKind;

/**
 * ConfabChunk:
 * @kind: a delta, the `[DONE]` sentinel, or an error object sent by the server
 * @content: (nullable): text to append to the answer, valid UTF-8
 * @reasoning: (nullable): reasoning text (`reasoning_content` or `reasoning`)
 * @finish_reason: (nullable): `stop`, `length`, `content_filter`, ...
 * @has_usage: whether the chunk carried token counts
 * @prompt_tokens: prompt tokens, when @has_usage
 * @completion_tokens: completion tokens, when @has_usage
 * @total_tokens: total tokens, when @has_usage
 * @model: (nullable): the model the server named
 * @error_message: (nullable): the server's error text, for %CONFAB_CHUNK_KIND_ERROR
 * @error_type: (nullable): the server's error type or code, if any
 * @has_tool_calls: whether the delta carried tool-call fragments (ignored)
 *
 * What one event of a Chat Completions stream says. Every string is owned
 * and valid UTF-8 (invalid bytes become U+FFFD).
 */
typedef struct
{
  ConfabChunkKind kind;
  char           *content;
  char           *reasoning;
  char           *finish_reason;
  gboolean        has_usage;
  gint64          prompt_tokens;
  gint64          completion_tokens;
  gint64          total_tokens;
  char           *model;
  char           *error_message;
  char           *error_type;
  gboolean        has_tool_calls;
} ConfabChunk;

typedef struct ConfabChunkParser ConfabChunkParser;

GQuark             confab_chunk_error_quark  (void);

ConfabChunkParser *confab_chunk_parser_new   (void) G_GNUC_WARN_UNUSED_RESULT;
void               confab_chunk_parser_free  (ConfabChunkParser  *self);
gboolean           confab_chunk_parser_parse (ConfabChunkParser  *self,
                                              const char         *event_type,
                                              const char         *data,
                                              gssize              len,
                                              ConfabChunk        *chunk,
                                              GError            **error);

void               confab_chunk_clear        (ConfabChunk        *chunk);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabChunkParser, confab_chunk_parser_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ConfabChunk, confab_chunk_clear)

G_END_DECLS
