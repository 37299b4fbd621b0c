"""kubesim's shared vocabulary: what every layer may import and what imports nothing else.

Owns: the `Status` errors (`errors`), the clock (`clock`), quantities (`quantity`,
`quantity_print`), ages (`durations`), label and field selectors (`selectors`), the table
of served resources (`resources`), the 1.37 OpenAPI schema (`schema`), the cluster's shape
(`clusterconfig`), accessors on plain object dicts (`objects`) and the quota arithmetic
that both the API server's admission and the resource-quota controller use (`quota`, as
upstream's pkg/quota/v1/evaluator serves both). May import: nothing of kubesim's but
`kubesim.core` itself.
"""
