/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-exchange"

#include "config.h"

#include "confab-exchange.h"

#include <glib/gi18n.h>
#include <string.h>

#define HIDDEN "[hidden]"

typedef struct
{
  char *name;
  char *value;
} Header;

/* What one request got back, for a person to read: nothing in it is
 * parsed, repaired or left out, except secrets and what is over the
 * bound. */
struct ConfabExchange
{
  /* owned */
  char   *method;
  char   *url;
  char   *http_version;
  char   *reason;
  char   *error;
  /* the API key, hidden wherever the server quotes it back */
  char   *secret;
  GArray *headers;  /* of Header */
  GArray *chunks;   /* of ConfabExchangeChunk */

  /* plain state */
  gint64   start_time;
  gint64   status_time_us;
  guint    status;
  gsize    max_body;
  gsize    kept_bytes;
  guint64  total_bytes;
  /* set once the session's budget took the body back: nothing more is
   * kept */
  gboolean body_dropped;

  /* in the ledger while it keeps a body; data is NULL when it is not */
  GList    ledger_link;
};

/* The records that keep a body, in the order they began to, and the
 * bytes they keep together. Records are read and written on one thread,
 * the main one; the lock only keeps the ledger whole. */
G_LOCK_DEFINE_STATIC (ledger);
static GQueue ledger = G_QUEUE_INIT;
static gsize ledger_bytes;
static gsize ledger_budget = CONFAB_EXCHANGE_DEFAULT_SESSION_BUDGET;

G_DEFINE_BOXED_TYPE (ConfabExchange, confab_exchange, confab_exchange_ref, confab_exchange_unref)

static void
header_clear (gpointer data)
{
  Header *header = data;

  g_clear_pointer (&header->name, g_free);
  g_clear_pointer (&header->value, g_free);
}

static void
chunk_clear (gpointer data)
{
  ConfabExchangeChunk *chunk = data;

  g_clear_pointer (&chunk->bytes, g_bytes_unref);
}

/* A name that may carry a credential: Authorization, Set-Cookie,
 * X-Api-Key, Proxy-Authenticate, ?api_key= and ?access_token=. Too
 * broad is harmless, as the value is only hidden from a copy. */
static gboolean
is_sensitive (const char *name,
              gssize      len)
{
  static const char * const words[] = { "key", "token", "cookie", "auth", "secret", "password" };
  g_autofree char *lower = g_ascii_strdown (name, len);

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    {
      if (strstr (lower, words[i]) != NULL)
        return TRUE;
    }

  return FALSE;
}

/* Leaves out a password in the user part, and the values of query
 * parameters that look like keys (Azure's "api-key", Gemini's "key"). */
static char *
redact_url (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *shown = NULL;
  g_autoptr(GString) out = NULL;
  g_autofree char *params_text = NULL;
  g_auto(GStrv) params = NULL;
  const char *query;
  const char *fragment;

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (uri == NULL)
    return g_strdup (url);

  shown = g_uri_to_string_partial (uri, G_URI_HIDE_PASSWORD);
  query = strchr (shown, '?');
  if (query == NULL)
    return g_steal_pointer (&shown);

  out = g_string_new_len (shown, query - shown + 1);
  fragment = strchr (query, '#');
  params_text = fragment != NULL ? g_strndup (query + 1, fragment - query - 1)
                                 : g_strdup (query + 1);
  params = g_strsplit (params_text, "&", -1);
  for (guint i = 0; params[i] != NULL; i++)
    {
      const char *equals = strchr (params[i], '=');

      if (i > 0)
        g_string_append_c (out, '&');
      if (equals != NULL && is_sensitive (params[i], equals - params[i]))
        g_string_append_printf (out, "%.*s=" HIDDEN, (int)(equals - params[i]), params[i]);
      else
        g_string_append (out, params[i]);
    }
  if (fragment != NULL)
    g_string_append (out, fragment);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * confab_exchange_new:
 * @method: the request method, such as "POST"
 * @url: where the request goes; a password and key-like query
 *   parameters are hidden in the copy kept
 * @max_body: how many bytes of the response body to keep at most
 *
 * Starts the record of one request, at the current monotonic time.
 *
 * Returns: (transfer full): a new record
 */
ConfabExchange *
confab_exchange_new (const char *method,
                     const char *url,
                     gsize       max_body)
{
  ConfabExchange *self;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);

  self = g_atomic_rc_box_new0 (ConfabExchange);
  self->method = g_strdup (method);
  self->url = redact_url (url);
  self->headers = g_array_new (FALSE, TRUE, sizeof (Header));
  g_array_set_clear_func (self->headers, header_clear);
  self->chunks = g_array_new (FALSE, TRUE, sizeof (ConfabExchangeChunk));
  g_array_set_clear_func (self->chunks, chunk_clear);
  self->start_time = g_get_monotonic_time ();
  self->status_time_us = -1;
  self->max_body = max_body;

  return self;
}

/**
 * confab_exchange_ref:
 * @self: a record
 *
 * Returns: (transfer full): @self
 */
ConfabExchange *
confab_exchange_ref (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

static void
leave_ledger_locked (ConfabExchange *self)
{
  if (self->ledger_link.data == NULL)
    return;

  ledger_bytes -= self->kept_bytes;
  g_queue_unlink (&ledger, &self->ledger_link);
  self->ledger_link.data = NULL;
}

static void
drop_body_locked (ConfabExchange *self)
{
  leave_ledger_locked (self);
  g_array_set_size (self->chunks, 0);
  self->kept_bytes = 0;
  self->body_dropped = TRUE;
}

/* Makes room in the session's budget for @wanted more bytes of @self's
 * body, taking the bodies of the oldest other records back first, and
 * returns how many of them may be kept. */
static gsize
reserve_locked (ConfabExchange *self,
                gsize           wanted)
{
  GList *link = ledger.head;

  if (self->ledger_link.data == NULL)
    {
      self->ledger_link.data = self;
      g_queue_push_tail_link (&ledger, &self->ledger_link);
    }

  ledger_bytes += wanted;
  while (ledger_bytes > ledger_budget && link != NULL)
    {
      ConfabExchange *oldest = link->data;

      link = link->next;
      if (oldest != self)
        drop_body_locked (oldest);
    }

  /* Alone over the budget: the record keeps what fits. */
  if (ledger_bytes > ledger_budget)
    {
      gsize over = MIN (ledger_bytes - ledger_budget, wanted);

      ledger_bytes -= over;
      wanted -= over;
    }

  return wanted;
}

static void
exchange_clear (gpointer data)
{
  ConfabExchange *self = data;

  G_LOCK (ledger);
  leave_ledger_locked (self);
  G_UNLOCK (ledger);

  if (self->secret != NULL)
    explicit_bzero (self->secret, strlen (self->secret));
  g_clear_pointer (&self->secret, g_free);

  g_clear_pointer (&self->method, g_free);
  g_clear_pointer (&self->url, g_free);
  g_clear_pointer (&self->http_version, g_free);
  g_clear_pointer (&self->reason, g_free);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->headers, g_array_unref);
  g_clear_pointer (&self->chunks, g_array_unref);
}

/**
 * confab_exchange_unref:
 * @self: (transfer full): a record
 *
 * Drops a reference to @self, and frees it with the last one.
 */
void
confab_exchange_unref (ConfabExchange *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, exchange_clear);
}

/**
 * confab_exchange_get_method:
 * @self: a record
 *
 * Returns: (transfer none): the request method
 */
const char *
confab_exchange_get_method (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->method;
}

/**
 * confab_exchange_get_url:
 * @self: a record
 *
 * Returns: (transfer none): the URL asked, secrets hidden
 */
const char *
confab_exchange_get_url (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->url;
}

/* Writes an asterisk over each byte of each whole occurrence of the
 * secret in @data, so that lengths and byte counts stay true. */
static gboolean
mask_secret (ConfabExchange *self,
             guint8         *data,
             gsize           len)
{
  gsize secret_len = self->secret != NULL ? strlen (self->secret) : 0;
  gboolean masked = FALSE;

  if (secret_len == 0)
    return FALSE;

  for (gsize at = 0; at + secret_len <= len; at++)
    {
      if (data[at] == (guint8)self->secret[0] &&
          memcmp (data + at, self->secret, secret_len) == 0)
        {
          memset (data + at, '*', secret_len);
          at += secret_len - 1;
          masked = TRUE;
        }
    }

  return masked;
}

static char *
dup_masked (ConfabExchange *self,
            const char     *text)
{
  char *copy = g_strdup (text);

  if (copy != NULL)
    mask_secret (self, (guint8 *)copy, strlen (copy));

  return copy;
}

/**
 * confab_exchange_set_secret:
 * @self: a record
 * @secret: (nullable): the API key the request carries, or %NULL
 *
 * A server may quote the key back, in an error above all ("Incorrect API
 * key provided: sk-…"). From now on, each byte of the key is kept as an
 * asterisk wherever it appears in the body, even split between reads, in
 * a header or in the reason phrase.
 */
void
confab_exchange_set_secret (ConfabExchange *self,
                            const char     *secret)
{
  g_return_if_fail (self != NULL);

  if (self->secret != NULL)
    explicit_bzero (self->secret, strlen (self->secret));
  g_free (self->secret);
  self->secret = secret != NULL && *secret != '\0' ? g_strdup (secret) : NULL;
}

/**
 * confab_exchange_set_status:
 * @self: a record
 * @http_version: such as "HTTP/1.1"
 * @status: the status code
 * @reason: (nullable): the reason phrase as the server sent it
 *
 * Notes the status line, and when it arrived.
 */
void
confab_exchange_set_status (ConfabExchange *self,
                            const char     *http_version,
                            guint           status,
                            const char     *reason)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (http_version != NULL);

  g_free (self->http_version);
  self->http_version = g_strdup (http_version);
  g_free (self->reason);
  self->reason = dup_masked (self, reason);
  self->status = status;
  self->status_time_us = g_get_monotonic_time () - self->start_time;
}

/**
 * confab_exchange_get_http_version:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): the HTTP version of the response, or
 *   %NULL before one came
 */
const char *
confab_exchange_get_http_version (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->http_version;
}

/**
 * confab_exchange_get_status:
 * @self: a record
 *
 * Returns: the status code, or 0 before a response came
 */
guint
confab_exchange_get_status (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->status;
}

/**
 * confab_exchange_get_reason:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): the reason phrase, raw, or %NULL
 */
const char *
confab_exchange_get_reason (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->reason;
}

/**
 * confab_exchange_get_status_time_us:
 * @self: a record
 *
 * Returns: µs from the start of the request to its status line, or -1
 */
gint64
confab_exchange_get_status_time_us (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->status_time_us;
}

/**
 * confab_exchange_add_header:
 * @self: a record
 * @name: a response header's name
 * @value: its value, kept as "[hidden]" when @name may carry a
 *   credential (it contains "key", "token", "cookie", "auth", "secret"
 *   or "password", in any case)
 */
void
confab_exchange_add_header (ConfabExchange *self,
                            const char     *name,
                            const char     *value)
{
  Header header;

  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (value != NULL);

  header.name = g_strdup (name);
  header.value = is_sensitive (name, -1) ? g_strdup (HIDDEN) : dup_masked (self, value);
  g_array_append_val (self->headers, header);
}

guint
confab_exchange_get_n_headers (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->headers->len;
}

/**
 * confab_exchange_get_header:
 * @self: a record
 * @index: less than confab_exchange_get_n_headers()
 * @name: (out) (transfer none) (optional): the name
 * @value: (out) (transfer none) (optional): the value, secrets hidden
 *
 * Gives one response header, in the order they came.
 */
void
confab_exchange_get_header (ConfabExchange  *self,
                            guint            index,
                            const char     **name,
                            const char     **value)
{
  const Header *header;

  g_return_if_fail (self != NULL);
  g_return_if_fail (index < self->headers->len);

  header = &g_array_index (self->headers, Header, index);
  if (name != NULL)
    *name = header->name;
  if (value != NULL)
    *value = header->value;
}

/* Masks the secret where it ends in the last read kept, and may begin in
 * the reads before: they are looked at again as far back as all of the
 * secret but its last byte reaches. With @cut, the body ends here, and
 * a beginning of the secret at its end is masked too. */
static void
mask_secret_in_body (ConfabExchange *self,
                     gboolean        cut)
{
  gsize secret_len = self->secret != NULL ? strlen (self->secret) : 0;
  g_autoptr(GByteArray) window = NULL;
  gboolean masked;
  gsize before = 0;
  gsize offset = 0;
  guint first;

  if (secret_len == 0 || self->chunks->len == 0)
    return;

  first = self->chunks->len - 1;
  while (first > 0 && before < secret_len - 1)
    {
      first--;
      before += g_bytes_get_size (g_array_index (self->chunks, ConfabExchangeChunk, first).bytes);
    }

  window = g_byte_array_new ();
  for (guint i = first; i < self->chunks->len; i++)
    {
      GBytes *bytes = g_array_index (self->chunks, ConfabExchangeChunk, i).bytes;

      g_byte_array_append (window, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  masked = mask_secret (self, window->data, window->len);
  for (gsize n = MIN (secret_len - 1, window->len); cut && n > 0; n--)
    {
      if (memcmp (window->data + window->len - n, self->secret, n) == 0)
        {
          memset (window->data + window->len - n, '*', n);
          masked = TRUE;
          break;
        }
    }

  if (masked)
    {
      for (guint i = first; i < self->chunks->len; i++)
        {
          ConfabExchangeChunk *chunk = &g_array_index (self->chunks, ConfabExchangeChunk, i);
          gsize size = g_bytes_get_size (chunk->bytes);

          g_bytes_unref (chunk->bytes);
          chunk->bytes = g_bytes_new (window->data + offset, size);
          offset += size;
        }
    }

  explicit_bzero (window->data, window->len);
}

/**
 * confab_exchange_add_chunk:
 * @self: a record
 * @bytes: one read of the body, as received
 *
 * Keeps a copy of @bytes with the time they arrived, as far as the
 * bounds allow: past the bound on bytes, or past
 * %CONFAB_EXCHANGE_MAX_CHUNKS reads, they are only counted.
 */
void
confab_exchange_add_chunk (ConfabExchange *self,
                           GBytes         *bytes)
{
  ConfabExchangeChunk chunk;
  gsize len;
  gsize room;
  gsize keep;

  g_return_if_fail (self != NULL);
  g_return_if_fail (bytes != NULL);

  len = g_bytes_get_size (bytes);
  if (len == 0)
    return;

  self->total_bytes += len;
  room = self->max_body - self->kept_bytes;
  if (room == 0 || self->body_dropped || self->chunks->len >= CONFAB_EXCHANGE_MAX_CHUNKS)
    return;

  G_LOCK (ledger);
  keep = reserve_locked (self, MIN (len, room));
  self->kept_bytes += keep;
  G_UNLOCK (ledger);
  if (keep == 0)
    return;

  /* A copy, not a reference: the bytes of a short read may hold on to
   * the whole buffer they were read into. Measured with a client that
   * reads 16 KB at a time, 80,000 reads of 2 bytes kept 330 MB alive. */
  chunk.time_us = g_get_monotonic_time () - self->start_time;
  chunk.bytes = g_bytes_new (g_bytes_get_data (bytes, NULL), keep);
  g_array_append_val (self->chunks, chunk);
  mask_secret_in_body (self, keep < len || self->kept_bytes == self->max_body ||
                             self->chunks->len == CONFAB_EXCHANGE_MAX_CHUNKS);
}

guint
confab_exchange_get_n_chunks (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->chunks->len;
}

/**
 * confab_exchange_get_chunk:
 * @self: a record
 * @index: less than confab_exchange_get_n_chunks()
 *
 * Returns: (transfer none): one read of the body, in the order they came
 */
const ConfabExchangeChunk *
confab_exchange_get_chunk (ConfabExchange *self,
                           guint           index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->chunks->len, NULL);

  return &g_array_index (self->chunks, ConfabExchangeChunk, index);
}

/**
 * confab_exchange_dup_body:
 * @self: a record
 *
 * Returns: (transfer full): the body kept, all chunks joined
 */
GBytes *
confab_exchange_dup_body (ConfabExchange *self)
{
  g_autoptr(GByteArray) body = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  body = g_byte_array_sized_new (self->kept_bytes);
  for (guint i = 0; i < self->chunks->len; i++)
    {
      GBytes *bytes = g_array_index (self->chunks, ConfabExchangeChunk, i).bytes;

      g_byte_array_append (body, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&body));
}

/**
 * confab_exchange_get_total_bytes:
 * @self: a record
 *
 * Returns: how many bytes of body were received, kept or not
 */
guint64
confab_exchange_get_total_bytes (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->total_bytes;
}

/**
 * confab_exchange_get_dropped_bytes:
 * @self: a record
 *
 * Returns: how many bytes of body were received past the bound
 */
guint64
confab_exchange_get_dropped_bytes (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->total_bytes - self->kept_bytes;
}

gboolean
confab_exchange_get_truncated (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->total_bytes > self->kept_bytes;
}

/**
 * confab_exchange_get_body_dropped:
 * @self: a record
 *
 * Returns: whether the body was given back to keep the session's records
 *   within their budget; see confab_exchange_set_session_budget()
 */
gboolean
confab_exchange_get_body_dropped (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->body_dropped;
}

/**
 * confab_exchange_set_session_budget:
 * @budget: the bytes of body all the records alive may keep together
 *
 * Sets the budget, %CONFAB_EXCHANGE_DEFAULT_SESSION_BUDGET by default.
 * When a body grows past it, the oldest records' bodies are dropped until
 * it fits; what they received is still counted. It applies from the next
 * body read on.
 */
void
confab_exchange_set_session_budget (gsize budget)
{
  G_LOCK (ledger);
  ledger_budget = budget;
  G_UNLOCK (ledger);
}

/**
 * confab_exchange_get_session_bytes:
 *
 * Returns: the bytes of body that all the records alive keep
 */
gsize
confab_exchange_get_session_bytes (void)
{
  gsize bytes;

  G_LOCK (ledger);
  bytes = ledger_bytes;
  G_UNLOCK (ledger);

  return bytes;
}

/**
 * confab_exchange_set_error:
 * @self: a record
 * @message: (nullable): why the request failed, as the user read it
 */
void
confab_exchange_set_error (ConfabExchange *self,
                           const char     *message)
{
  g_return_if_fail (self != NULL);

  g_free (self->error);
  self->error = g_strdup (message);
}

/**
 * confab_exchange_get_error:
 * @self: a record
 *
 * Returns: (transfer none) (nullable): why the request failed, or %NULL
 */
const char *
confab_exchange_get_error (ConfabExchange *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->error;
}

static void
append_time (GString *out,
             gint64   time_us)
{
  g_string_append_printf (out, "+%" G_GINT64_FORMAT ".%03d ms",
                          time_us / 1000, (int)(time_us % 1000));
}

/* Bytes as a person can read and copy them: UTF-8 as it is, line breaks
 * as line breaks, other control characters as their Unicode pictures
 * (␍, ␉, ␛) and bytes that are no UTF-8 as \xNN. A character split
 * between two reads shows as escapes in both, which is what happened. */
static void
append_escaped (GString      *out,
                const guint8 *data,
                gsize         len)
{
  gsize i = 0;

  while (i < len)
    {
      const char *p = (const char *)data + i;
      gunichar c = g_utf8_get_char_validated (p, len - i);

      if (c == (gunichar)-1 || c == (gunichar)-2)
        {
          g_string_append_printf (out, "\\x%02X", data[i]);
          i++;
          continue;
        }

      if (c == '\n')
        g_string_append_c (out, '\n');
      else if (c < 0x20)
        g_string_append_unichar (out, 0x2400 + c);
      else if (c == 0x7f)
        g_string_append_unichar (out, 0x2421);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);

      i += g_utf8_next_char (p) - p;
    }
}

/**
 * confab_exchange_to_text:
 * @self: a record
 *
 * Renders the record to be read and copied: the request line, the status
 * line and the response headers, a blank line, then each read of the body
 * after a line with its arrival time ("+12.345 ms, 17 bytes"). A read
 * that does not end a line is followed by a line break all the same, so
 * that the next time stands on its own line; its byte count tells.
 *
 * Returns: (transfer full): valid UTF-8 text
 */
char *
confab_exchange_to_text (ConfabExchange *self)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  append_escaped (out, (const guint8 *)self->method, strlen (self->method));
  g_string_append_c (out, ' ');
  append_escaped (out, (const guint8 *)self->url, strlen (self->url));
  g_string_append_c (out, '\n');

  if (self->http_version != NULL)
    {
      g_string_append_printf (out, "%s %u", self->http_version, self->status);
      if (self->reason != NULL && *self->reason != '\0')
        {
          g_string_append_c (out, ' ');
          append_escaped (out, (const guint8 *)self->reason, strlen (self->reason));
        }
      g_string_append (out, " (");
      append_time (out, self->status_time_us);
      g_string_append (out, ")\n");
    }

  for (guint i = 0; i < self->headers->len; i++)
    {
      const Header *header = &g_array_index (self->headers, Header, i);

      append_escaped (out, (const guint8 *)header->name, strlen (header->name));
      g_string_append (out, ": ");
      append_escaped (out, (const guint8 *)header->value, strlen (header->value));
      g_string_append_c (out, '\n');
    }

  g_string_append_c (out, '\n');

  for (guint i = 0; i < self->chunks->len; i++)
    {
      const ConfabExchangeChunk *chunk = &g_array_index (self->chunks, ConfabExchangeChunk, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (chunk->bytes, &len);

      if (out->len > 0 && out->str[out->len - 1] != '\n')
        g_string_append_c (out, '\n');
      append_time (out, chunk->time_us);
      g_string_append_printf (out, ", %zu bytes\n", len);
      append_escaped (out, data, len);
    }

  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');

  if (self->body_dropped)
    {
      g_autofree char *number = g_strdup_printf ("%" G_GUINT64_FORMAT, self->total_bytes);

      g_string_append_printf (out,
                              /* Translators: %s is a number of bytes */
                              ngettext ("[%s byte received; no longer kept, to make room for "
                                        "newer responses]\n",
                                        "[%s bytes received; no longer kept, to make room for "
                                        "newer responses]\n",
                                        (gulong)MIN (self->total_bytes, G_MAXULONG)),
                              number);
    }
  else if (confab_exchange_get_truncated (self))
    {
      guint64 dropped = confab_exchange_get_dropped_bytes (self);
      g_autofree char *number = g_strdup_printf ("%" G_GUINT64_FORMAT, dropped);

      g_string_append_printf (out,
                              /* Translators: %s is a number of bytes */
                              ngettext ("[%s more byte received, not kept]\n",
                                        "[%s more bytes received, not kept]\n",
                                        (gulong)MIN (dropped, G_MAXULONG)),
                              number);
    }

  if (self->error != NULL)
    {
      /* Translators: %s is why a request failed */
      g_string_append_printf (out, _("[failed: %s]\n"), self->error);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}
