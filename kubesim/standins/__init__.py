"""Stand-ins for the images the Kubernetes documentation's tutorials run.

Each module here is a small program that a kubesim pod runs in place of an image kubesim
cannot pull (`python3 -m kubesim.standins.<name>`, named in `kubesim/images.yaml`). They
answer what the real program answers for the uses the docs make of it: nginx's welcome page
and logs, hpa-example's CPU burn per request, agnhost's netexec and friends, a goproxy, a
tiny redis. They run inside pods, so they import nothing of kubesim's layers (enforced in
`.importlinter`): standard library only, and the shared helpers of `_program`.

Files an image holds (nginx's html and conf) are package data under each stand-in's
`files/` folder, mapped to their container paths by the catalog's `files:`; a stand-in reads
them at their container path, so a configMap mounted over one changes what it serves.
"""
