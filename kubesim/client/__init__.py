"""client-go's role for kubesim's components: informers, work queues, events, actuation.

Owns the machinery every control loop runs on: a shared cache kept by list+watch
(`informer`), client-go's rate-limited work queue and workers (`workqueue`), the event
recorder with its aggregation (`recorder`), and the one place that applies the pure
controllers' actions through the API (`actuator`). May import: `kubesim.apiserver`
(its public `Api`), `kubesim.controllers`, `kubesim.core`.
"""
