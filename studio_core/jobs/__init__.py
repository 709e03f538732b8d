"""The job: its states and transitions, SQL writes (user side and worker side), reads,
per-owner counters, stored params and public JSON.

    states       JobStatus, ACTIVE, TERMINAL and the transition table (pure)
    transitions  the SQL side of a transition: move, record_event (used by both sides)
    repo         JobRepository: the user's side (create, read, cancel, favourite, delete)
    attempts     JobAttempts: the worker's writes, fenced on the attempt (repo.attempts)
    queries      reads only: load, list, events, files
    counts       per-owner counters by status, moved with every transition
    params       the tool parameters that also have a column of their own
    inputs       a job's stored inputs split into slot images and painted masks
    public       to_public: the one job JSON for REST, SSE and the worker's events
    download_names  the name an output is downloaded under (tool, prompt words, seed, n)
"""
