"""Server-side Table printing, as kube-apiserver's printers do it for `kubectl get`.

`table` builds a Table for any kind; `columns` is the column data per kind; `pod`,
`workloads` and `resources` compute rows; `format` holds the small shared formatters.
"""
