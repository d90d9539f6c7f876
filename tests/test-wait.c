/*
 * SPDX-FileCopyrightText: 2026 The Confab authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "test-wait.h"

/* Waiting on the main loop, which tests may do against a deadline
 * (STYLE.md §8). */

static gboolean
deadline_cb (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;

  return G_SOURCE_REMOVE;
}

/* The sanitizer build runs several times slower, and more so on a
 * loaded machine: its tests scale every deadline by
 * CONFAB_TEST_DEADLINE_SCALE, as meson scales its time-outs. */
static guint
deadline_scale (void)
{
  const char *value = g_getenv ("CONFAB_TEST_DEADLINE_SCALE");
  guint64 scale = value != NULL ? g_ascii_strtoull (value, NULL, 10) : 1;

  return (guint)CLAMP (scale, 1, 20);
}

/**
 * wait_until:
 * @condition: what to wait for
 * @user_data: data for @condition
 *
 * Runs the main loop until @condition holds, and fails the test if it
 * does not within DEADLINE_SECONDS.
 */
void
wait_until (Condition condition,
            gpointer  user_data)
{
  wait_until_seconds (condition, user_data, DEADLINE_SECONDS);
}

/**
 * wait_until_seconds:
 * @condition: what to wait for
 * @user_data: data for @condition
 * @seconds: the deadline
 *
 * Runs the main loop until @condition holds, and fails the test if it
 * does not within @seconds: for the few cases that wait longer than
 * DEADLINE_SECONDS on purpose.
 */
void
wait_until_seconds (Condition condition,
                    gpointer  user_data,
                    guint     seconds)
{
  gboolean expired = FALSE;
  guint deadline_id = g_timeout_add_seconds (seconds * deadline_scale (), deadline_cb, &expired);

  while (!condition (user_data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (deadline_id);
  g_assert_true (condition (user_data));
}

/* Lets the main loop run for @ms, as the time between two events. */
void
wait_ms (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, deadline_cb, &expired);
  wait_until (flag_is_set, &expired);
}

/**
 * wait_for_text:
 * @reply: a message
 * @text: the content to wait for
 *
 * Runs the main loop until the content of @reply is @text.
 */
void
wait_for_text (ConfabMessage *reply,
               const char    *text)
{
  TextWait wait = { reply, text };

  wait_until (reply_has_text, &wait);
}

static gboolean
slot_is_set (gpointer user_data)
{
  return *(GAsyncResult **)user_data != NULL;
}

/**
 * wait_for_result:
 * @slot: where result_cb() puts the result
 *
 * Returns: (transfer full): the result, once it has come
 */
GAsyncResult *
wait_for_result (GAsyncResult **slot)
{
  wait_until (slot_is_set, slot);

  return g_steal_pointer (slot);
}

/**
 * result_cb:
 * @object: the source object
 * @result: the result
 * @user_data: (out): an empty `GAsyncResult *` slot for the result
 *
 * A #GAsyncReadyCallback for wait_for_result().
 */
void
result_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

/* A Condition on a gboolean */
gboolean
flag_is_set (gpointer user_data)
{
  return *(gboolean *)user_data;
}

/* A Condition on a TextWait */
gboolean
reply_has_text (gpointer user_data)
{
  TextWait *wait = user_data;

  return g_strcmp0 (confab_message_get_content (wait->reply), wait->text) == 0;
}

/* The threads of this process now, from /proc; 0 where there is none. */
static guint
count_threads (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

/**
 * run_tests_and_settle:
 *
 * Runs the tests, then waits until no thread of the process is starting
 * or ending, and returns what g_test_run() did. For test programs whose
 * code runs work on GLib's threads (TLS handshakes, GTask workers):
 * LeakSanitizer checks for leaks at exit by stopping every thread and
 * reading its stacks and thread-local blocks, and a thread ending in the
 * meantime crashed its tracer ("Tracer caught signal 11", seen in CI and
 * here under load). GLib's idle workers are told to end, and a worker
 * waits half a second for its pool's next task before it is idle.
 */
int
run_tests_and_settle (void)
{
  int status = g_test_run ();
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  guint steady = 0;
  guint last = 0;

  g_thread_pool_set_max_unused_threads (0);
  g_thread_pool_stop_unused_threads ();
  g_usleep (600 * G_TIME_SPAN_MILLISECOND);
  g_thread_pool_stop_unused_threads ();
  /* The same count for 100 ms. */
  while (steady < 5 && g_get_monotonic_time () < deadline)
    {
      guint now = count_threads ();

      steady = now == last ? steady + 1 : 0;
      last = now;
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
  return status;
}

