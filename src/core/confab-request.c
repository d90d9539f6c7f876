/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-request"

#include "config.h"

#include "confab-request.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "confab-json.h"

typedef struct
{
  char *role;
  char *content;
} Message;

struct ConfabRequest
{
  /* owned */
  char     *model;
  GArray   *messages;  /* of Message */

  /* options */
  gboolean  stream;
  gboolean  include_usage;
  gboolean  has_temperature;
  double    temperature;
  gint64    max_tokens;
};

static void
message_clear (gpointer data)
{
  Message *message = data;

  g_clear_pointer (&message->role, g_free);
  g_clear_pointer (&message->content, g_free);
}

/* The text comes from the user and the history database, not from a
 * programmer, so bad UTF-8 is repaired rather than refused: json-glib would
 * write it out as it is, and the server would reject the whole request. */
static char *
dup_valid (const char *str)
{
  if (g_utf8_validate (str, -1, NULL))
    return g_strdup (str);

  return g_utf8_make_valid (str, -1);
}

/**
 * confab_request_new:
 * @model: the model to ask, such as "gpt-4o-mini"
 *
 * Creates a Chat Completions request with no messages, streamed, asking for
 * token usage, and leaving temperature and max_tokens to the server.
 * Invalid UTF-8 in @model becomes U+FFFD.
 *
 * Returns: (transfer full): a new request
 */
ConfabRequest *
confab_request_new (const char *model)
{
  ConfabRequest *self;

  g_return_val_if_fail (model != NULL, NULL);

  self = g_atomic_rc_box_new0 (ConfabRequest);
  self->model = dup_valid (model);
  self->messages = g_array_new (FALSE, TRUE, sizeof (Message));
  g_array_set_clear_func (self->messages, message_clear);
  self->stream = TRUE;
  self->include_usage = TRUE;

  return self;
}

/**
 * confab_request_ref:
 * @self: a request
 *
 * Takes a reference to @self.
 *
 * Returns: (transfer full): @self
 */
ConfabRequest *
confab_request_ref (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

static void
request_clear (gpointer data)
{
  ConfabRequest *self = data;

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->messages, g_array_unref);
}

/**
 * confab_request_unref:
 * @self: (transfer full): a request
 *
 * Drops a reference to @self, and frees it with the last one.
 */
void
confab_request_unref (ConfabRequest *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, request_clear);
}

/**
 * confab_request_get_model:
 * @self: a request
 *
 * Returns: (transfer none): the model
 */
const char *
confab_request_get_model (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->model;
}

/**
 * confab_request_add_message:
 * @self: a request
 * @role: "system", "user" or "assistant"
 * @content: the text of the message
 *
 * Appends a message. Messages are sent in the order they were added, so the
 * system prompt goes first. Invalid UTF-8 becomes U+FFFD.
 */
void
confab_request_add_message (ConfabRequest *self,
                            const char    *role,
                            const char    *content)
{
  Message message;

  g_return_if_fail (self != NULL);
  g_return_if_fail (role != NULL);
  g_return_if_fail (content != NULL);

  message.role = dup_valid (role);
  message.content = dup_valid (content);
  g_array_append_val (self->messages, message);
}

/**
 * confab_request_get_n_messages:
 * @self: a request
 *
 * Returns: the number of messages added
 */
guint
confab_request_get_n_messages (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->messages->len;
}

/**
 * confab_request_set_stream:
 * @self: a request
 * @stream: whether to ask for a stream of server-sent events
 *
 * Streaming is on by default.
 */
void
confab_request_set_stream (ConfabRequest *self,
                           gboolean       stream)
{
  g_return_if_fail (self != NULL);

  self->stream = !!stream;
}

/**
 * confab_request_get_stream:
 * @self: a request
 *
 * Returns: whether the request asks for a stream
 */
gboolean
confab_request_get_stream (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->stream;
}

/**
 * confab_request_set_include_usage:
 * @self: a request
 * @include_usage: whether to ask for token usage at the end of a stream
 *
 * On by default. It is sent as `stream_options.include_usage`, and only
 * when the request streams: servers refuse stream options otherwise.
 */
void
confab_request_set_include_usage (ConfabRequest *self,
                                  gboolean       include_usage)
{
  g_return_if_fail (self != NULL);

  self->include_usage = !!include_usage;
}

/**
 * confab_request_get_include_usage:
 * @self: a request
 *
 * Returns: whether the request asks for token usage
 */
gboolean
confab_request_get_include_usage (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->include_usage;
}

/**
 * confab_request_set_temperature:
 * @self: a request
 * @temperature: the sampling temperature, 0 or more
 *
 * Sends a temperature. Until this is called, the server's default applies.
 */
void
confab_request_set_temperature (ConfabRequest *self,
                                double         temperature)
{
  g_return_if_fail (self != NULL);
  /* Also refuses NaN and infinity, which JSON cannot write. */
  g_return_if_fail (temperature >= 0.0 && temperature <= G_MAXDOUBLE);

  self->has_temperature = TRUE;
  self->temperature = temperature;
}

/**
 * confab_request_has_temperature:
 * @self: a request
 *
 * Returns: whether a temperature was set, so that it is sent
 */
gboolean
confab_request_has_temperature (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->has_temperature;
}

/**
 * confab_request_get_temperature:
 * @self: a request
 *
 * Returns: the temperature set, or -1 when none was
 */
double
confab_request_get_temperature (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->has_temperature ? self->temperature : -1;
}

/**
 * confab_request_set_max_tokens:
 * @self: a request
 * @max_tokens: the most tokens to generate, or 0 for the server's default
 *
 * Sends `max_tokens` when it is more than 0.
 */
void
confab_request_set_max_tokens (ConfabRequest *self,
                               gint64         max_tokens)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (max_tokens >= 0);

  self->max_tokens = max_tokens;
}

/**
 * confab_request_get_max_tokens:
 * @self: a request
 *
 * Returns: the most tokens to generate, or 0 for the server's default
 */
gint64
confab_request_get_max_tokens (ConfabRequest *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->max_tokens;
}

/* Takes @json, as json-glib wrote it, and makes it strict JSON. */
static GBytes *
escape_unit_separators (char  *json,
                        gsize  len)
{
  g_autofree char *owned = json;
  g_autoptr(GString) escaped = NULL;

  if (memchr (json, 0x1f, len) == NULL)
    return g_bytes_new_take (g_steal_pointer (&owned), len);

  escaped = g_string_sized_new (len + 16);
  confab_json_append_strict (escaped, json, len);
  len = escaped->len;
  return g_bytes_new_take (g_string_free (g_steal_pointer (&escaped), FALSE), len);
}

/**
 * confab_request_to_bytes:
 * @self: a request
 *
 * Writes the body of the request: compact JSON with the members `model`,
 * `messages`, `stream`, `stream_options`, `temperature` and `max_tokens` in
 * that order, the last three only when they apply.
 *
 * Returns: (transfer full): the JSON body, UTF-8
 */
GBytes *
confab_request_to_bytes (ConfabRequest *self)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  char *json;
  gsize len;

  g_return_val_if_fail (self != NULL, NULL);

  builder = json_builder_new ();
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, self->model);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->messages->len; i++)
    {
      const Message *message = &g_array_index (self->messages, Message, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, message->role);
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, message->content);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, self->stream);

  if (self->stream && self->include_usage)
    {
      json_builder_set_member_name (builder, "stream_options");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "include_usage");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }

  if (self->has_temperature)
    {
      json_builder_set_member_name (builder, "temperature");
      json_builder_add_double_value (builder, self->temperature);
    }

  if (self->max_tokens > 0)
    {
      json_builder_set_member_name (builder, "max_tokens");
      json_builder_add_int_value (builder, self->max_tokens);
    }

  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &len);

  return escape_unit_separators (json, len);
}
