"""One claimed job's run, claimed to done: the slot the worker tracks it in, the outcomes that
end it, its params, the runner and its stages (attempt gate, outage retry, outputs,
reporter), and the services it talks to. `studio_core.jobs` holds the job record; this
package drives one attempt of it through ComfyUI."""
