"""The job queue in Redis: fair-share per user, reliable (claim -> ack), worker heartbeats.

`job_queue.JobQueue` is the one owner of the keys below; every other module calls its
methods. Inside the package: `keys` names the keys, `scripts` holds the Lua that mutates the
waiting/claimed structures atomically, `workers` the heartbeats and reaping, `reconcile` the
recovery after Redis restarted empty, `cancel` the cancel flags.

Keys (prefix `studio:` by default):

    q:user:<uid>           list   waiting job ids of one user, FIFO (head = next)
    q:ring                 list   user ids with waiting jobs, in round-robin order
    q:where                hash   job id -> "queued" | "claimed:<worker_id>"
    q:owner                hash   job id -> user id (while waiting or claimed)
    q:waiting              int    number of waiting jobs (kept by the scripts)
    q:processing:<worker>  list   jobs a worker has claimed and not acked yet
    q:bell                 list   doorbell: idle claimers BLPOP it instead of polling
    workers                set    every worker id seen (heartbeat or claim); never KEYS/SCAN
    worker:<id>            string JSON heartbeat with a TTL; its absence means "dead"
    workers:last           hash   worker id -> last heartbeat JSON (for offline listings)
    epoch                  string marker; missing means Redis restarted empty
    cancel:<job>           string cancel requested (TTL), also published on channel `cancel`
"""
