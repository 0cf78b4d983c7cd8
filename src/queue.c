/*
 * Queues, caps on how many tasks of one lane are ready or running: the
 * public API, the references that keep a queue alive, and the moves between
 * a queue's FIFO and the env's backlog. JS thread, but *_locked: env->mu
 * held, any thread (a runner finishes a queue's task). Calls env.c.
 */
#include "internal.h"

napi_status napi_task_queue_create(napi_env env, uint32_t max_running,
                                   napi_task_queue *result) {
  nt_env *e;
  napi_task_queue q;

  if (result != NULL) *result = NULL;
  if (env == NULL || result == NULL || max_running == 0)
    return napi_invalid_arg;
  e = nt_env_get(env);
  if (e == NULL || (q = nt_calloc(1, sizeof(*q))) == NULL)
    return napi_generic_failure;
  q->env = e;
  q->max_running = max_running;
  q->refs = 1;
  nt_list_init(&q->waiting);
  nt_list_push(&e->queues, &q->env_link);
  *result = q;
  return napi_ok;
}

void nt_queue_unref(napi_task_queue q) {
  if (--q->refs != 0) return;
  nt_list_remove(&q->env_link);
  free(q);
}

napi_status napi_task_queue_release(napi_task_queue queue) {
  if (queue == NULL || queue->released) return napi_invalid_arg;
  queue->released = true;
  if (queue->env == NULL) {
    /* Orphaned (nt_queues_orphan): nothing else refers to it. */
    free(queue);
    return napi_ok;
  }
  nt_queue_unref(queue);
  return napi_ok;
}

napi_status napi_task_set_queue(napi_task task, napi_task_queue queue) {
  if (task == NULL || queue == NULL || task->delivered ||
      queue->env != task->env || queue->released)
    return napi_invalid_arg;
  /* The old queue may have been released meanwhile: this may free it. */
  if (task->queue != NULL) nt_queue_unref(task->queue);
  queue->refs++;
  task->queue = queue;
  return napi_ok;
}

/* When the env record is freed: unreleased queues outlive it as orphans,
   which napi_task_queue_release frees without touching the env. */
void nt_queues_orphan(nt_env *e) {
  nt_link *l;
  while ((l = nt_list_shift(&e->queues)) != NULL) {
    napi_task_queue q = NT_CONTAINER(l, struct napi_task_queue__, env_link);
    q->env = NULL;
    if (q->released) free(q);
  }
}

/* mu held. The one way into the backlog; a lingering runner watches
   backlog_gen. Every writer holds mu, so a load and a store bump it: no
   locked instruction per delivery. */
static void ready_locked(nt_env *e, napi_task t) {
  t->state = NT_READY;
  nt_list_push(&e->backlog, &t->link);
  atomic_store_explicit(
      &e->sched.backlog_gen,
      atomic_load_explicit(&e->sched.backlog_gen, memory_order_relaxed) + 1,
      memory_order_relaxed);
}

/* mu held. Moves queue heads into the backlog while the queue has room. */
static void promote_locked(nt_env *e, napi_task_queue q) {
  nt_link *l;
  while (q->running < q->max_running &&
         (l = nt_list_shift(&q->waiting)) != NULL) {
    q->running++;
    ready_locked(e, NT_CONTAINER(l, struct napi_task__, link));
  }
}

void nt_enqueue_locked(nt_env *e, napi_task t) {
  napi_task_queue q = t->queue;
  if (q != NULL && q->running >= q->max_running) {
    t->state = NT_WAITING;
    nt_list_push(&q->waiting, &t->link);
    return;
  }
  if (q != NULL) q->running++;
  ready_locked(e, t);
}

void nt_dequeue_locked(nt_env *e, napi_task t) {
  nt_list_remove(&t->link);
  if (t->state == NT_READY && t->queue != NULL) {
    t->queue->running--;
    promote_locked(e, t->queue);
  }
}

void nt_queue_finished_locked(nt_env *e, napi_task t) {
  if (t->queue == NULL) return;
  t->queue->running--;
  promote_locked(e, t->queue);
}
